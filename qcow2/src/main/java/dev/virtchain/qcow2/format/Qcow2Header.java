package dev.virtchain.qcow2.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
    public static final int V3_HEADER_LENGTH = (HeaderField.COMPRESSION_TYPE.end() + 7) & ~7;

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

    public static final int EXT_END = 0;
    public static final int EXT_BACKING_FORMAT = 0xe2792aca;
    public static final int EXT_FEATURE_TABLE = 0x6803f857;
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
     * Parses and validates a header (see {@link HeaderParser}).
     *
     * @param file     the image's name, for messages
     * @param probe    at least the first {@link #PROBE_LENGTH} bytes of the file (fewer when the
     *                 file is shorter), position 0
     * @param firstCluster a reader for the first cluster, called once the cluster size is valid
     * @param fileSize the file's length in bytes
     */
    public static Qcow2Header parse(String file, ByteBuffer probe, ClusterReader firstCluster, long fileSize)
            throws java.io.IOException {
        return HeaderParser.parse(file, probe, firstCluster, fileSize);
    }

    /** This header's fixed fields with what the first cluster says after them. */
    Qcow2Header withExtensions(String backingFile, String backingFormat, List<Feature> featureNames,
            BitmapsExtension bitmaps, String dataFile, List<Integer> unknownExtensions) {
        return new Qcow2Header(version, backingFileOffset, backingFileSize, clusterBits, size, cryptMethod, l1Size,
                l1TableOffset, refcountTableOffset, refcountTableClusters, nbSnapshots, snapshotsOffset,
                incompatibleFeatures, compatibleFeatures, autoclearFeatures, refcountOrder, headerLength,
                compressionType, backingFile, backingFormat, featureNames, bitmaps, dataFile, unknownExtensions);
    }

    /** Reads {@code length} bytes at {@code offset} of the image file. */
    @FunctionalInterface
    public interface ClusterReader {
        ByteBuffer read(long offset, int length) throws java.io.IOException;
    }
}
