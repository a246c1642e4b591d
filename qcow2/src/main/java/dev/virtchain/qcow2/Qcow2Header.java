package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The qcow2 header (cluster 0) with its extensions, fields in the order of qemu's
 * {@code docs/interop/qcow2.txt}. {@link #parse} validates every field against the spec and
 * against the file's size before anything else is read or allocated.
 */
public record Qcow2Header(
        int version,
        long backingFileOffset,
        int backingFileSize,
        int clusterBits,
        long size,
        int cryptMethod,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        int nbSnapshots,
        long snapshotsOffset,
        long incompatibleFeatures,
        long compatibleFeatures,
        long autoclearFeatures,
        int refcountOrder,
        int headerLength,
        int compressionType,
        String backingFile,
        String backingFormat,
        List<Feature> featureNames,
        BitmapsExtension bitmaps,
        String dataFile,
        List<Integer> unknownExtensions) {

    public static final int MAGIC = 0x514649fb; // "QFI\xfb"
    /** The version 2 header: the fields up to snapshots_offset. */
    public static final int V2_HEADER_LENGTH = HeaderField.SNAPSHOTS_OFFSET.end();
    /** The version 3 header without the optional fields: up to header_length. */
    public static final int V3_MIN_HEADER_LENGTH = HeaderField.HEADER_LENGTH.end();
    /** The version 3 header qemu writes: with the compression type byte, padded to 8 bytes. */
    static final int V3_HEADER_LENGTH = (HeaderField.COMPRESSION_TYPE.end() + 7) & ~7;

    public static final int MIN_CLUSTER_BITS = 9;    // 512 B: one sector
    public static final int MAX_CLUSTER_BITS = 21;   // 2 MiB: qemu's limit
    /** Extended L2 splits a cluster in 32 subclusters of at least 512 B each. */
    public static final int MIN_EXTENDED_L2_CLUSTER_BITS = 14;

    public static final long INCOMPAT_DIRTY = 1L;
    public static final long INCOMPAT_CORRUPT = 1L << 1;
    public static final long INCOMPAT_DATA_FILE = 1L << 2;
    public static final long INCOMPAT_COMPRESSION = 1L << 3;
    public static final long INCOMPAT_EXTL2 = 1L << 4;
    static final long INCOMPAT_KNOWN = (1L << 5) - 1;
    public static final long COMPAT_LAZY_REFCOUNTS = 1L;
    public static final long AUTOCLEAR_BITMAPS = 1L;
    public static final long AUTOCLEAR_DATA_FILE_RAW = 1L << 1;

    public static final int COMPRESSION_ZLIB = 0;
    public static final int COMPRESSION_ZSTD = 1;

    /** qemu caps the active L1 table at 32 MiB (QCOW_MAX_L1_SIZE). */
    public static final long MAX_L1_BYTES = 32L << 20;
    /** qemu caps the refcount table at 8 MiB (QCOW_MAX_REFTABLE_SIZE). */
    public static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    /** qemu's QCOW_MAX_SNAPSHOTS. */
    public static final int MAX_SNAPSHOTS = 65536;
    /** qemu's QCOW2_MAX_BITMAPS and QCOW2_MAX_BITMAP_DIRECTORY_SIZE. */
    public static final int MAX_BITMAPS = 65535;
    public static final long MAX_BITMAP_DIRECTORY_BYTES = 1024L * MAX_BITMAPS;
    /** qemu stores at most 1023 bytes of backing file name. */
    public static final int MAX_BACKING_NAME = 1023;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_TABLE = 0x6803f857;
    static final int EXT_BITMAPS = 0x23852875;
    static final int EXT_CRYPTO = 0x0537be77;
    static final int EXT_DATA_FILE = 0x44415441;

    /** Bytes to read before the cluster size is known: the v3 header with compression type. */
    public static final int PROBE_LENGTH = V3_HEADER_LENGTH;

    public long clusterSize() {
        return 1L << clusterBits;
    }

    public boolean extendedL2() {
        return (incompatibleFeatures & INCOMPAT_EXTL2) != 0;
    }

    public boolean dirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    public boolean corrupt() {
        return (incompatibleFeatures & INCOMPAT_CORRUPT) != 0;
    }

    public boolean lazyRefcounts() {
        return (compatibleFeatures & COMPAT_LAZY_REFCOUNTS) != 0;
    }

    public boolean hasDataFile() {
        return (incompatibleFeatures & INCOMPAT_DATA_FILE) != 0;
    }

    public boolean dataFileRaw() {
        return (autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) != 0;
    }

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** Bytes per L2 entry: 8, or 16 with extended L2 (entry plus subcluster bitmap). */
    public int l2EntrySize() {
        return 1 << L2Entry.sizeBits(extendedL2());
    }

    /** log2 of the number of entries in one L2 table. */
    public int l2Bits() {
        return l2Bits(clusterBits, extendedL2());
    }

    static int l2Bits(int clusterBits, boolean extendedL2) {
        return clusterBits - L2Entry.sizeBits(extendedL2);
    }

    /** Guest bytes mapped by one L1 entry. */
    public long bytesPerL1Entry() {
        return 1L << (clusterBits + l2Bits());
    }

    /** The number of L1 entries needed to map {@code size} guest bytes. */
    public static long l1EntriesFor(long size, int clusterBits, boolean extendedL2) {
        int shift = l1EntryShift(clusterBits, extendedL2);
        // Rounds up without adding first: size + (1 << shift) - 1 overflows near Long.MAX_VALUE.
        return (size >>> shift) + ((size & ((1L << shift) - 1)) != 0 ? 1 : 0);
    }

    /** The largest virtual size the largest L1 table ({@link #MAX_L1_BYTES}) maps. */
    public static long maxSizeFor(int clusterBits, boolean extendedL2) {
        return MAX_L1_BYTES / 8 * (1L << l1EntryShift(clusterBits, extendedL2));
    }

    /** log2 of the guest bytes one L1 entry maps: a cluster's, times the entries of an L2 table. */
    private static int l1EntryShift(int clusterBits, boolean extendedL2) {
        return clusterBits + l2Bits(clusterBits, extendedL2);
    }

    /** True when the bitmaps extension is to be trusted (qemu ignores it without the autoclear bit). */
    public boolean bitmapsValid() {
        return bitmaps != null && (autoclearFeatures & AUTOCLEAR_BITMAPS) != 0;
    }

    /** Reads the magic and version only; used to tell qcow2 from raw. */
    public static boolean hasMagic(ByteBuffer start) {
        return start.remaining() >= HeaderField.MAGIC.width
                && start.order(ByteOrder.BIG_ENDIAN).getInt(start.position() + HeaderField.MAGIC.offset) == MAGIC;
    }

    /**
     * Parses and validates a header.
     *
     * @param file     the image's name, for messages
     * @param probe    at least the first {@link #PROBE_LENGTH} bytes of the file (fewer when the
     *                 file is shorter), position 0
     * @param firstCluster a reader for the first cluster, called once the cluster size is valid
     * @param fileSize the file's length in bytes
     */
    public static Qcow2Header parse(String file, ByteBuffer probe, ClusterReader firstCluster, long fileSize)
            throws java.io.IOException {
        ByteBuffer b = probe.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (b.remaining() < V2_HEADER_LENGTH) {
            throw new ImageException(file, "file is " + b.remaining() + " bytes, too small for a qcow2 header (72)");
        }
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new ImageException(file, "magic " + hex(magic & 0xffffffffL) + " is not qcow2's (0x514649fb)");
        }
        int version = b.getInt(4);
        if (version == 1) {
            throw new ImageException(file, "qcow version 1 images are not supported (only qcow2)");
        }
        if (version != 2 && version != 3) {
            throw new ImageException(file, "qcow2 version " + Integer.toUnsignedString(version)
                    + " is not supported (only 2 and 3)");
        }
        long backingFileOffset = b.getLong(8);
        int backingFileSize = b.getInt(16);
        int clusterBits = b.getInt(20);
        long size = b.getLong(24);
        int cryptMethod = b.getInt(32);
        int l1Size = b.getInt(36);
        long l1TableOffset = b.getLong(40);
        long refcountTableOffset = b.getLong(48);
        int refcountTableClusters = b.getInt(56);
        int nbSnapshots = b.getInt(60);
        long snapshotsOffset = b.getLong(64);

        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;               // v2 has 16-bit refcounts
        int headerLength = V2_HEADER_LENGTH; // v2 header has a fixed size
        int compressionType = COMPRESSION_ZLIB;
        if (version == 3) {
            if (b.remaining() < V3_MIN_HEADER_LENGTH) {
                throw new ImageException(file, "file is " + b.remaining()
                        + " bytes, too small for a qcow2 version 3 header (104)");
            }
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
        }

        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
            throw new ImageException(file, "cluster_bits " + Integer.toUnsignedString(clusterBits)
                    + " is out of range (9 to 21)");
        }
        long clusterSize = 1L << clusterBits;
        if (version == 3) {
            if (Integer.toUnsignedLong(headerLength) < V3_MIN_HEADER_LENGTH) {
                throw new ImageException(file, "header_length " + Integer.toUnsignedString(headerLength)
                        + " is shorter than the version 3 header (104)");
            }
            if (Integer.toUnsignedLong(headerLength) > clusterSize) {
                throw new ImageException(file, "header_length " + Integer.toUnsignedString(headerLength)
                        + " exceeds the cluster size (" + clusterSize + ")");
            }
            if (headerLength > V3_MIN_HEADER_LENGTH) {
                if (b.remaining() <= V3_MIN_HEADER_LENGTH) {
                    throw new ImageException(file, "header_length " + headerLength + " runs past end of file ("
                            + fileSize + ")");
                }
                compressionType = b.get(104) & 0xff;
            }
            if (Integer.toUnsignedLong(refcountOrder) > 6) {
                throw new ImageException(file, "refcount_order " + Integer.toUnsignedString(refcountOrder)
                        + " is out of range (0 to 6)");
            }
        }
        if (headerLength > fileSize) {
            throw new ImageException(file, "header_length " + headerLength + " runs past end of file (" + fileSize + ")");
        }
        if (cryptMethod != 0) {
            throw new ImageException(file, "image is encrypted (crypt_method " + Integer.toUnsignedString(cryptMethod)
                    + ", " + (cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : "unknown")
                    + "); virtchain does not read encrypted images");
        }

        if (compressionType != COMPRESSION_ZLIB && compressionType != COMPRESSION_ZSTD) {
            throw new ImageException(file, "compression_type " + compressionType + " is unknown (0 zlib, 1 zstd)");
        }
        boolean compressionBit = (incompatible & INCOMPAT_COMPRESSION) != 0;
        if (compressionBit != (compressionType != COMPRESSION_ZLIB)) {
            throw new ImageException(file, "compression_type " + compressionType
                    + (compressionBit ? " is zlib but the compression type incompatible bit (3) is set"
                            : " is not zlib but the compression type incompatible bit (3) is clear"));
        }

        // The rest of cluster 0 holds the header extensions and the backing file name.
        ByteBuffer c0 = firstCluster.read(0, (int) Math.min(clusterSize, fileSize)).order(ByteOrder.BIG_ENDIAN);

        String backingFile = null;
        if (backingFileOffset != 0) {
            if (backingFileOffset < 0 || backingFileOffset > clusterSize) {
                throw new ImageException(file, "backing_file_offset " + hex(backingFileOffset)
                        + " is outside the first cluster (" + clusterSize + " bytes)");
            }
            long maxLen = Math.min(MAX_BACKING_NAME, clusterSize - backingFileOffset);
            if (Integer.toUnsignedLong(backingFileSize) > maxLen) {
                throw new ImageException(file, "backing_file_size " + Integer.toUnsignedString(backingFileSize)
                        + " is too long (at most " + maxLen + " bytes here)");
            }
            if (backingFileOffset + backingFileSize > c0.limit()) {
                throw new ImageException(file, "backing file name at " + hex(backingFileOffset) + " runs past end of file ("
                        + fileSize + ")");
            }
            // qemu uses the name as a C string: a NUL byte ends it (and no NUL may reach a Path).
            backingFile = cString(c0, (int) backingFileOffset, backingFileSize);
            if (backingFile.isEmpty()) {
                backingFile = null;
            }
        }

        String backingFormat = null;
        List<Feature> features = new ArrayList<>();
        BitmapsExtension bitmaps = null;
        String dataFile = null;
        List<Integer> unknown = new ArrayList<>();
        {
            // qemu reads extensions for both versions; v2 images from qemu carry the backing format too.
            long extEnd = backingFileOffset != 0 ? backingFileOffset : clusterSize;
            extEnd = Math.min(extEnd, c0.limit());
            long pos = headerLength;
            while (pos + 8 <= extEnd) {
                int type = c0.getInt((int) pos);
                long len = Integer.toUnsignedLong(c0.getInt((int) pos + 4));
                pos += 8;
                if (type == EXT_END) {
                    break;
                }
                if (len > extEnd - pos) {
                    throw new ImageException(file, "header extension " + hex(type & 0xffffffffL) + " at "
                            + hex(pos - 8) + " has length " + len + ", past the end of the header area ("
                            + hex(extEnd) + ")");
                }
                int p = (int) pos;
                int n = (int) len;
                switch (type) {
                    case EXT_BACKING_FORMAT -> {
                        if (n >= 16) {
                            throw new ImageException(file, "backing format extension has length " + n + " (at most 15)");
                        }
                        backingFormat = cString(c0, p, n);
                    }
                    case EXT_FEATURE_TABLE -> {
                        for (int i = 0; i + 48 <= n; i += 48) {
                            Feature.Kind kind = Feature.Kind.of(c0.get(p + i) & 0xff);
                            if (kind != null) {
                                features.add(new Feature(kind, c0.get(p + i + 1) & 0xff, cString(c0, p + i + 2, 46)));
                            }
                        }
                    }
                    case EXT_BITMAPS -> {
                        if (version == 3) { // qemu ignores bitmaps in a v2 image as possibly stale
                            bitmaps = parseBitmaps(file, c0, p, n, clusterSize, autoclear, fileSize);
                        }
                    }
                    case EXT_DATA_FILE -> dataFile = cString(c0, p, n);
                    case EXT_CRYPTO -> unknown.add(type); // only meaningful with crypt_method, refused above
                    default -> unknown.add(type);
                }
                pos += (len + 7) & ~7L;
            }
        }

        long unknownIncompat = incompatible & ~INCOMPAT_KNOWN;
        if (unknownIncompat != 0) {
            throw new ImageException(file, "unsupported incompatible feature(s): "
                    + describeBits(unknownIncompat, features));
        }
        if ((incompatible & INCOMPAT_DATA_FILE) != 0 && dataFile == null) {
            throw new ImageException(file, "incompatible feature 'external data file' is set but the image names no data file");
        }
        if ((incompatible & INCOMPAT_DATA_FILE) == 0 && dataFile != null) {
            throw new ImageException(file, "image names data file " + Names.quote(dataFile)
                    + " but the external data file feature bit (2) is clear");
        }
        if ((incompatible & INCOMPAT_EXTL2) != 0 && clusterBits < MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new ImageException(file, "extended L2 entries need clusters of at least 16 KiB, cluster_bits is "
                    + clusterBits);
        }

        if (size < 0) {
            throw new ImageException(file, "size " + Long.toUnsignedString(size) + " is too large");
        }
        boolean extL2 = (incompatible & INCOMPAT_EXTL2) != 0;
        long l1Needed = l1EntriesFor(size, clusterBits, extL2);
        long l1Entries = Integer.toUnsignedLong(l1Size);
        if (l1Entries * 8 > MAX_L1_BYTES) {
            throw new ImageException(file, "l1_size " + l1Entries + " is too large (at most " + MAX_L1_BYTES / 8 + " entries)");
        }
        if (l1Needed > l1Entries) {
            throw new ImageException(file, "l1_size " + l1Entries + " is too small for size " + size + " (needs "
                    + l1Needed + ")");
        }
        if (l1Entries > 0) {
            checkTable(file, "l1 table", "l1_table_offset", l1TableOffset, l1Entries * 8, clusterSize, fileSize);
        }
        long reftableClusters = Integer.toUnsignedLong(refcountTableClusters);
        if (reftableClusters == 0) {
            throw new ImageException(file, "refcount_table_clusters is 0: the image has no refcount table");
        }
        if (reftableClusters * clusterSize > MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageException(file, "refcount_table_clusters " + reftableClusters + " is too large (at most "
                    + MAX_REFCOUNT_TABLE_BYTES / clusterSize + ")");
        }
        checkTable(file, "refcount table", "refcount_table_offset", refcountTableOffset, reftableClusters * clusterSize,
                clusterSize, fileSize);
        long snapshots = Integer.toUnsignedLong(nbSnapshots);
        if (snapshots > MAX_SNAPSHOTS) {
            throw new ImageException(file, "nb_snapshots " + snapshots + " is too large (at most " + MAX_SNAPSHOTS + ")");
        }
        if (snapshots > 0) {
            // Each entry takes at least 40 bytes; the table's exact size is known only when read.
            checkTable(file, "snapshot table", "snapshots_offset", snapshotsOffset, snapshots * 40, clusterSize,
                    fileSize);
        }

        return new Qcow2Header(version, backingFileOffset, backingFileSize, clusterBits, size, cryptMethod, l1Size,
                l1TableOffset, refcountTableOffset, refcountTableClusters, nbSnapshots, snapshotsOffset, incompatible,
                compatible, autoclear, refcountOrder, headerLength, compressionType, backingFile, backingFormat,
                List.copyOf(features), bitmaps, dataFile, List.copyOf(unknown));
    }

    private static BitmapsExtension parseBitmaps(String file, ByteBuffer c0, int p, int n, long clusterSize,
            long autoclear, long fileSize) throws ImageException {
        if (n != 24) {
            throw new ImageException(file, "bitmaps extension has length " + n + " (must be 24)");
        }
        long count = Integer.toUnsignedLong(c0.getInt(p));
        int reserved = c0.getInt(p + 4);
        long dirSize = c0.getLong(p + 8);
        long dirOffset = c0.getLong(p + 16);
        if ((autoclear & AUTOCLEAR_BITMAPS) == 0) {
            return new BitmapsExtension((int) Math.min(count, Integer.MAX_VALUE), dirSize, dirOffset); // ignored, as qemu does
        }
        if (reserved != 0) {
            throw new ImageException(file, "bitmaps extension has reserved field " + hex(reserved & 0xffffffffL)
                    + " (must be 0)");
        }
        if (count == 0) {
            throw new ImageException(file, "bitmaps extension counts 0 bitmaps (a present extension needs at least 1)");
        }
        if (count > MAX_BITMAPS) {
            throw new ImageException(file, "bitmaps extension counts " + count + " bitmaps (at most " + MAX_BITMAPS + ")");
        }
        if (dirSize < 0 || dirSize > MAX_BITMAP_DIRECTORY_BYTES) {
            throw new ImageException(file, "bitmap_directory_size " + Long.toUnsignedString(dirSize)
                    + " is too large (at most " + MAX_BITMAP_DIRECTORY_BYTES + ")");
        }
        checkTable(file, "bitmap directory", "bitmap_directory_offset", dirOffset, dirSize, clusterSize, fileSize);
        return new BitmapsExtension((int) count, dirSize, dirOffset);
    }

    /**
     * Checks that a table of {@code length} bytes at {@code offset} (read from field
     * {@code offsetField}) starts on a cluster boundary and lies inside the file.
     */
    static void checkTable(String file, String what, String offsetField, long offset, long length, long clusterSize,
            long fileSize) throws ImageException {
        if ((offset & (clusterSize - 1)) != 0) {
            throw new ImageException(file, offsetField + " " + hex(offset) + " is not cluster aligned");
        }
        long end;
        try {
            end = offset < 0 ? Long.MAX_VALUE : Math.addExact(offset, length);
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
        }
        if (end > fileSize) {
            throw new ImageException(file, what + " (" + offsetField + " " + hex(offset) + ", " + length
                    + " bytes) runs past end of file (" + hex(fileSize) + ")");
        }
    }

    private static String describeBits(long bits, List<Feature> features) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            String name = null;
            for (Feature f : features) {
                if (f.kind() == Feature.Kind.INCOMPATIBLE && f.bit() == bit) {
                    name = f.name();
                }
            }
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append("bit ").append(bit);
            if (name != null && !name.isEmpty()) {
                sb.append(' ').append(Names.quote(name));
            }
        }
        return sb.toString();
    }

    private static String cString(ByteBuffer b, int off, int max) {
        int len = 0;
        while (len < max && b.get(off + len) != 0) {
            len++;
        }
        byte[] bytes = new byte[len];
        b.get(off, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Reads {@code length} bytes at {@code offset} of the image file. */
    @FunctionalInterface
    public interface ClusterReader {
        ByteBuffer read(long offset, int length) throws java.io.IOException;
    }
}
