package dev.virtchain.qcow2.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A minimal valid qcow2 version 3 image built byte by byte, so a test can change one field and
 * see exactly one rule fire. The fields are public and mutable on purpose: a test says
 * {@code f.clusterBits = 8} and nothing else. Cluster layout (fixed when the fixture is made,
 * whatever a test later writes into the header fields):
 *
 * <pre>
 *   0 header and extensions   1 refcount table   2 refcount block   3 L1 table
 *   4 L2 table                5 data (guest cluster 0, filled with {@link #DATA_BYTE})
 *   6 snapshot table          7 snapshot L1 table (all unallocated)      with {@link #withSnapshot}
 *   8 bitmap directory        9 bitmap table (all zero: nothing dirty)   with {@link #withBitmap}
 * </pre>
 */
public final class HeaderFixture {
    public static final byte DATA_BYTE = (byte) 0x5a;
    static final int HEADER_LENGTH = 112; // v3 header with compression type, padded to 8

    final int layoutClusterBits;
    public final long cs;

    // ---- Header fields, in the order of qcow2.txt ----
    public int magic = Qcow2Header.MAGIC;                 // "QFI\xfb"
    public int version = 3;                               // v3: feature bits and extensions
    public long backingFileOffset;                        // set by backingFile(): after the extensions
    public int backingFileSize;                           // bytes of backing name, no NUL
    public int clusterBits;                               // log2 of the cluster size
    public long size = 1L << 20;                          // 1 MiB guest
    public int cryptMethod = 0;                           // not encrypted
    public int l1Size;                                    // entries needed for size
    public long l1TableOffset;                            // cluster 3
    public long refcountTableOffset;                      // cluster 1
    public int refcountTableClusters = 1;                 // one cluster of refcount table
    public int nbSnapshots = 0;                           // withSnapshot() makes it 1
    public long snapshotsOffset = 0;                      // withSnapshot() makes it cluster 6
    public long incompatibleFeatures = 0;                 // clean, not corrupt, no extras
    long compatibleFeatures = 0;                   // no lazy refcounts
    public long autoclearFeatures = 0;                    // withBitmap() sets bit 0
    public int refcountOrder = 4;                         // 16-bit refcounts, qemu's default
    public int headerLength = HEADER_LENGTH;              // 104 + compression type byte + padding
    public int compressionType = Qcow2Header.COMPRESSION_ZLIB;

    // ---- Header extensions (written in this order, then the end marker) ----
    String backingFormat;                          // backing format extension, if not null
    final List<byte[]> featureNames = new ArrayList<>(); // 48-byte feature name table entries
    boolean bitmapsExtension;                      // write the bitmaps extension
    public int bitmapsCount = 1;                          //   nb_bitmaps
    public int bitmapsReserved = 0;                       //   reserved32, must be 0
    public long bitmapDirectorySize;                      //   bytes of directory: one entry
    public long bitmapDirectoryOffset;                    //   cluster 8
    public String dataFile;                               // external data file extension, if not null
    final List<byte[]> rawExtensions = new ArrayList<>(); // type, length and data, already encoded
    /** Overrides the length field of the first extension written, when not null. */
    public Integer firstExtensionLength;
    String backingFile;                            // written after the extensions

    // ---- Tables ----
    public long l1Entry0;                                 // -> L2 at cluster 4, COPIED
    public long l2Entry0;                                 // -> data at cluster 5, COPIED
    public long l2Bitmap0;                                // extended L2 only: all 32 subclusters allocated

    // ---- Snapshot table entry 0 (withSnapshot) ----
    boolean snapshot;
    public long snapshotL1TableOffset;                    // cluster 7
    public int snapshotL1Size;                            // as the active L1
    public int snapshotExtraDataSize = 24;                // vm_state_size_large, disk_size, icount
    String snapshotId = "1";
    String snapshotName = "before-update";

    // ---- Bitmap directory entry 0 (withBitmap) ----
    boolean bitmap;
    public long bitmapTableOffset;                        // cluster 9
    public int bitmapTableSize = 1;                       // one cluster of bitmap table
    public int bitmapFlags = Bitmap.FLAG_AUTO;            // tracking, not in use
    public int bitmapType = 1;                            // dirty tracking
    public int bitmapGranularityBits = 9;                 // 512 B: small, so a larger size can outgrow one table cluster
    public Integer bitmapNameSize;                        // null: the name's length
    public int bitmapExtraDataSize = 0;
    String bitmapName = "b0";

    public HeaderFixture(int clusterBits) {
        this.layoutClusterBits = clusterBits;
        this.cs = 1L << clusterBits;
        this.clusterBits = clusterBits;
        this.refcountTableOffset = cs;
        this.l1TableOffset = 3 * cs;
        this.l1Size = (int) Qcow2Header.l1EntriesFor(size, clusterBits, false);
        this.l1Entry0 = L2Entry.OFLAG_COPIED | 4 * cs;
        this.l2Entry0 = L2Entry.OFLAG_COPIED | 5 * cs;
    }

    /** The valid fixture with 64 KiB clusters, qemu's default. */
    public static HeaderFixture valid() {
        return new HeaderFixture(16);
    }

    public HeaderFixture withSnapshot() {
        snapshot = true;
        nbSnapshots = 1;
        snapshotsOffset = 6 * cs;
        snapshotL1TableOffset = 7 * cs;
        snapshotL1Size = l1Size;
        return this;
    }

    public HeaderFixture withBitmap() {
        bitmap = true;
        bitmapsExtension = true;
        autoclearFeatures |= Qcow2Header.AUTOCLEAR_BITMAPS;
        bitmapDirectoryOffset = 8 * cs;
        bitmapDirectorySize = align8(24 + bitmapName.length());
        bitmapTableOffset = 9 * cs;
        return this;
    }

    /** Extended L2 entries: 16 bytes each, the data cluster's subclusters all allocated. */
    public HeaderFixture withExtendedL2() {
        incompatibleFeatures |= Qcow2Header.INCOMPAT_EXTL2;
        l2Bitmap0 = 0xffffffffL;
        return this;
    }

    public HeaderFixture withBacking(String name, String format) {
        backingFile = name;
        backingFormat = format;
        return this;
    }

    /** Adds a feature name table entry: type 0 incompatible, 1 compatible, 2 autoclear. */
    public HeaderFixture withFeatureName(int type, int bit, String name) {
        byte[] e = new byte[48];
        e[0] = (byte) type;
        e[1] = (byte) bit;
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, e, 2, Math.min(46, n.length));
        featureNames.add(e);
        return this;
    }

    public byte[] bytes() {
        boolean ext = (incompatibleFeatures & Qcow2Header.INCOMPAT_EXTL2) != 0 && layoutClusterBits >= 14;
        TreeSet<Integer> used = new TreeSet<>(List.of(0, 1, 2, 3, 4, 5));
        if (l1Entry0 == 0) {
            used.removeAll(List.of(4, 5)); // a test unmapped the L2 table: its clusters are free, not leaked
        }
        if (snapshot) {
            used.addAll(List.of(6, 7));
        }
        if (bitmap) {
            used.addAll(List.of(8, 9));
        }
        ByteBuffer b = ByteBuffer.allocate((int) ((Math.max(5, used.last()) + 1) * cs));

        // Cluster 0: the header in field order.
        b.putInt(0, magic).putInt(4, version).putInt(16, backingFileSize).putInt(20, clusterBits)
                .putLong(24, size).putInt(32, cryptMethod).putInt(36, l1Size).putLong(40, l1TableOffset)
                .putLong(48, refcountTableOffset).putInt(56, refcountTableClusters).putInt(60, nbSnapshots)
                .putLong(64, snapshotsOffset).putLong(72, incompatibleFeatures).putLong(80, compatibleFeatures)
                .putLong(88, autoclearFeatures).putInt(96, refcountOrder).putInt(100, headerLength)
                .put(104, (byte) compressionType);
        int pos = HEADER_LENGTH;
        List<byte[]> exts = new ArrayList<>();
        if (backingFormat != null) {
            exts.add(extension(Qcow2Header.EXT_BACKING_FORMAT, backingFormat.getBytes(StandardCharsets.UTF_8)));
        }
        if (!featureNames.isEmpty()) {
            ByteBuffer t = ByteBuffer.allocate(48 * featureNames.size());
            featureNames.forEach(t::put);
            exts.add(extension(Qcow2Header.EXT_FEATURE_TABLE, t.array()));
        }
        if (bitmapsExtension) {
            exts.add(extension(Qcow2Header.EXT_BITMAPS, ByteBuffer.allocate(24).putInt(bitmapsCount)
                    .putInt(bitmapsReserved).putLong(bitmapDirectorySize).putLong(bitmapDirectoryOffset).array()));
        }
        if (dataFile != null) {
            exts.add(extension(Qcow2Header.EXT_DATA_FILE, dataFile.getBytes(StandardCharsets.UTF_8)));
        }
        exts.addAll(rawExtensions);
        for (int i = 0; i < exts.size(); i++) {
            b.put(pos, exts.get(i));
            if (i == 0 && firstExtensionLength != null) {
                b.putInt(pos + 4, firstExtensionLength);
            }
            pos += exts.get(i).length;
        }
        pos += 8; // end of extensions: type 0, length 0
        if (backingFile != null) {
            byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
            if (backingFileOffset == 0) {
                backingFileOffset = pos;
            }
            if (backingFileSize == 0) {
                backingFileSize = name.length;
                b.putInt(16, backingFileSize);
            }
            b.put(pos, name);
        }
        b.putLong(8, backingFileOffset);

        // Cluster 1: refcount table -> cluster 2. Cluster 2: one 16-bit refcount per used cluster.
        b.putLong((int) cs, 2 * cs);
        for (int c : used) {
            b.putShort((int) (2 * cs + 2 * c), (short) 1);
        }
        // Cluster 3: L1 entry 0 -> L2 at cluster 4; cluster 4: L2 entry 0 -> data at cluster 5.
        b.putLong((int) (3 * cs), l1Entry0);
        b.putLong((int) (4 * cs), l2Entry0);
        if (ext) {
            b.putLong((int) (4 * cs + 8), l2Bitmap0);
        }
        for (int i = 0; i < cs; i++) {
            b.put((int) (5 * cs + i), DATA_BYTE);
        }

        if (snapshot) {
            int s = (int) (6 * cs);
            byte[] id = snapshotId.getBytes(StandardCharsets.UTF_8);
            byte[] name = snapshotName.getBytes(StandardCharsets.UTF_8);
            b.putLong(s, snapshotL1TableOffset).putInt(s + 8, snapshotL1Size).putShort(s + 12, (short) id.length)
                    .putShort(s + 14, (short) name.length).putInt(s + 36, snapshotExtraDataSize);
            int extra = s + 40;
            if (snapshotExtraDataSize >= 24) {
                b.putLong(extra, 0).putLong(extra + 8, size).putLong(extra + 16, Snapshot.NO_ICOUNT);
            }
            int at = extra + Math.min(snapshotExtraDataSize, 1024);
            b.put(at, id).put(at + id.length, name);
        }
        if (bitmap) {
            int d = (int) (8 * cs);
            byte[] name = bitmapName.getBytes(StandardCharsets.UTF_8);
            b.putLong(d, bitmapTableOffset).putInt(d + 8, bitmapTableSize).putInt(d + 12, bitmapFlags)
                    .put(d + 16, (byte) bitmapType).put(d + 17, (byte) bitmapGranularityBits)
                    .putShort(d + 18, (short) (bitmapNameSize != null ? bitmapNameSize : name.length))
                    .putInt(d + 20, bitmapExtraDataSize);
            b.put(d + 24, name);
        }
        return b.array();
    }

    public Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    static byte[] extension(int type, byte[] data) {
        ByteBuffer e = ByteBuffer.allocate(8 + (int) align8(data.length));
        e.putInt(type).putInt(data.length).put(data);
        return e.array();
    }

    static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
