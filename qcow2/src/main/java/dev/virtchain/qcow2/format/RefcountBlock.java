package dev.virtchain.qcow2.format;

/**
 * Refcounts as they lie on disk: a refcount block holds entries of {@code 2^refcount_order}
 * bits (sub-byte ones packed from the low bit, wider ones big-endian), and a refcount table
 * entry points at one block. The one decoder for the writer's {@code Refcounts} and the
 * reader's {@code OnDiskRefcounts}.
 */
public final class RefcountBlock {
    /** Refcount table entries: the block offset; the low 9 bits are reserved. */
    public static final long REFT_OFFSET_MASK = 0xfffffffffffffe00L;
    public static final long REFT_RESERVED_MASK = 0x1ffL;

    private RefcountBlock() {
    }

    /** log2 of the refcounts one block (one cluster) holds. */
    public static int entryBits(int clusterBits, int order) {
        return clusterBits + 3 - order;
    }

    /** The largest refcount an entry holds, unsigned: {@code 2^bits - 1}, which is -1 with 64-bit entries. */
    public static long max(int order) {
        return order == 6 ? -1L : (1L << (1 << order)) - 1;
    }

    /** Refcount {@code i} of {@code block}, whose entries are {@code 2^order} bits wide. */
    public static long get(byte[] block, int i, int order) {
        int bits = 1 << order;
        if (bits >= 8) {
            int bytes = bits / 8;
            long v = 0;
            for (int k = 0; k < bytes; k++) {
                v = (v << 8) | (block[i * bytes + k] & 0xff);
            }
            return v;
        }
        int perByte = 8 / bits;
        return (block[i / perByte] >>> ((i % perByte) * bits)) & ((1 << bits) - 1);
    }

    /** Sets refcount {@code i} of {@code block} to {@code v}. */
    public static void set(byte[] block, int i, int order, long v) {
        int bits = 1 << order;
        if (bits >= 8) {
            int bytes = bits / 8;
            for (int k = bytes - 1; k >= 0; k--) {
                block[i * bytes + k] = (byte) v;
                v >>>= 8;
            }
            return;
        }
        int perByte = 8 / bits;
        int shift = (i % perByte) * bits;
        int mask = ((1 << bits) - 1) << shift;
        block[i / perByte] = (byte) ((block[i / perByte] & ~mask) | (((int) v << shift) & mask));
    }
}
