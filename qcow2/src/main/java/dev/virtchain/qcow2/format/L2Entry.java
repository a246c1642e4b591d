package dev.virtchain.qcow2.format;

/**
 * The bits of L2 table entries, and of the L1 entries that point at L2 tables (qcow2.txt,
 * "Cluster mapping"): the one place that reads and builds them, for the reader, the checker and
 * the writer alike. The names are qemu's. With extended L2 entries each entry is followed by a
 * subcluster bitmap: bit {@code sc} says subcluster {@code sc} is allocated, bit {@code 32 + sc}
 * that it reads as zeros.
 */
public final class L2Entry {
    /** An L1 entry's L2 table offset. */
    public static final long L1E_OFFSET_MASK = 0x00fffffffffffe00L;
    /** Bits 0-8 and 56-62 of an L1 entry are reserved. */
    public static final long L1E_RESERVED_MASK = 0x7f000000000001ffL;
    /** A standard (not compressed) L2 entry's host cluster offset. */
    public static final long L2E_OFFSET_MASK = 0x00fffffffffffe00L;
    /** Bits 1-8 and 56-61 of a standard L2 entry are reserved. */
    public static final long L2E_STD_RESERVED_MASK = 0x3f000000000001feL;
    /** L1 and L2 entries: the cluster's refcount is exactly 1, so it may be written in place. */
    public static final long OFLAG_COPIED = 1L << 63;
    /** The cluster is compressed; {@link CompressedCluster} reads the rest of the entry. */
    public static final long OFLAG_COMPRESSED = 1L << 62;
    /** Standard L2 without extended entries: the cluster reads as zeros. */
    public static final long OFLAG_ZERO = 1L;
    /** The allocation half of a subcluster bitmap, and the zero half. */
    public static final long L2_BITMAP_ALL_ALLOC = 0xffffffffL;
    public static final long L2_BITMAP_ALL_ZERO = L2_BITMAP_ALL_ALLOC << 32;
    /** log2 of the subclusters of a cluster with extended L2 entries: 32. */
    public static final int SUBCLUSTER_BITS = 5;

    private L2Entry() {
    }

    /** How an entry maps its whole cluster, subclusters aside; qemu's QCow2ClusterType. */
    public enum Type {
        UNALLOCATED, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED;

        /** Whether the entry refers to clusters of the image: a host cluster, or compressed bytes. */
        public boolean refersToHost() {
            return this == NORMAL || this == ZERO_ALLOC || this == COMPRESSED;
        }

        /** Whether the cluster reads as zeros (standard L2 only: extended entries say it per subcluster). */
        public boolean zero() {
            return this == ZERO_PLAIN || this == ZERO_ALLOC;
        }
    }

    /**
     * qemu's qcow2_get_cluster_type. With an external data file offset 0 is a valid cluster;
     * COPIED, always set there, tells it from an unallocated one.
     */
    public static Type type(long entry, boolean extendedL2, boolean externalData) {
        if ((entry & OFLAG_COMPRESSED) != 0) {
            return Type.COMPRESSED;
        }
        long offset = entry & L2E_OFFSET_MASK;
        if (!extendedL2 && (entry & OFLAG_ZERO) != 0) {
            return offset != 0 ? Type.ZERO_ALLOC : Type.ZERO_PLAIN;
        }
        if (offset == 0 && !(externalData && copied(entry))) {
            return Type.UNALLOCATED;
        }
        return Type.NORMAL;
    }

    /** log2 of an L2 entry's bytes: 8, or 16 with extended L2 (the entry and its bitmap). */
    static int sizeBits(boolean extendedL2) {
        return extendedL2 ? 4 : 3;
    }

    /** Where entry {@code index} of an L2 table lies in the table read as longs; its bitmap follows it. */
    public static int slot(int index, boolean extendedL2) {
        return extendedL2 ? 2 * index : index;
    }

    /** Entry {@code index} of an L2 table read as longs. */
    public static long entry(long[] table, int index, boolean extendedL2) {
        return table[slot(index, extendedL2)];
    }

    /** The subcluster bitmap of entry {@code index}: 0 without extended L2. */
    public static long bitmap(long[] table, int index, boolean extendedL2) {
        return extendedL2 ? table[2 * index + 1] : 0;
    }

    /** The entries of an L2 table read as longs. */
    public static int count(long[] table, boolean extendedL2) {
        return extendedL2 ? table.length / 2 : table.length;
    }

    /** The host cluster of a standard L2 entry. */
    public static long offset(long entry) {
        return entry & L2E_OFFSET_MASK;
    }

    /** The L2 table an L1 entry points at. */
    public static long l2Table(long l1Entry) {
        return l1Entry & L1E_OFFSET_MASK;
    }

    public static boolean copied(long entry) {
        return (entry & OFLAG_COPIED) != 0;
    }

    /** An L1 or L2 entry for {@code cluster}, which nothing else refers to: COPIED. */
    public static long owned(long cluster) {
        return cluster | OFLAG_COPIED;
    }

    /** A standard entry that reads as zeros and keeps its host cluster, if it has one (0 for none). */
    public static long zero(long cluster) {
        return cluster != 0 ? owned(cluster) | OFLAG_ZERO : OFLAG_ZERO;
    }

    public static boolean subclusterAllocated(long bitmap, int sc) {
        return (bitmap & (1L << sc)) != 0;
    }

    public static boolean subclusterZero(long bitmap, int sc) {
        return (bitmap & (1L << (32 + sc))) != 0;
    }

    /** The bitmap with subcluster {@code sc} allocated (and no longer zero). */
    public static long allocateSubcluster(long bitmap, int sc) {
        return (bitmap | (1L << sc)) & ~(1L << (32 + sc));
    }

    /** The bitmap with subcluster {@code sc} reading as zeros (and no longer allocated). */
    public static long zeroSubcluster(long bitmap, int sc) {
        return (bitmap & ~(1L << sc)) | (1L << (32 + sc));
    }

    /** A bitmap no allocated cluster may have: a subcluster both allocated and zero. */
    public static boolean allocatedAndZero(long bitmap) {
        return ((bitmap >>> 32) & bitmap) != 0;
    }

    /** A bitmap no unallocated cluster may have: an allocated subcluster. */
    public static boolean anyAllocated(long bitmap) {
        return (bitmap & L2_BITMAP_ALL_ALLOC) != 0;
    }
}
