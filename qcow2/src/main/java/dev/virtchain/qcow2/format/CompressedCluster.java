package dev.virtchain.qcow2.format;

/**
 * Where a compressed cluster's bytes lie, decoded from its L2 entry: the low bits hold the host
 * offset, the bits above them the number of additional 512-byte sectors the data spans.
 */
public record CompressedCluster(long offset, int size) {

    public static CompressedCluster of(long entry, int clusterBits) {
        int sizeShift = sizeShift(clusterBits);
        long sizeMask = (1L << (clusterBits - 8)) - 1;
        long offsetMask = (1L << sizeShift) - 1;
        long offset = entry & offsetMask;
        long sectors = ((entry >>> sizeShift) & sizeMask) + 1;
        // The count starts at the sector holding the first byte.
        return new CompressedCluster(offset, (int) (sectors * 512 - (offset & 511)));
    }

    /** The L2 entry for {@code length} compressed bytes at {@code offset}. */
    public static long entry(long offset, int length, int clusterBits) {
        long sectors = ((offset + length - 1) >>> 9) - (offset >>> 9); // the sectors spanned, minus one
        return L2Entry.OFLAG_COMPRESSED | offset | (sectors << sizeShift(clusterBits));
    }

    /** Where the sector count starts: the offset takes the 62 - (cluster_bits - 8) bits below it. */
    private static int sizeShift(int clusterBits) {
        return 62 - (clusterBits - 8);
    }
}
