package dev.virtchain.qcow2;

import java.nio.ByteBuffer;

/** Zero-filling without a byte-at-a-time loop. */
final class Zeros {
    private static final byte[] ZEROS = new byte[64 * 1024];

    private Zeros() {
    }

    /** Fills {@code dst} from its position to its limit with zeros and advances the position to the limit. */
    static void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(ZEROS, 0, Math.min(ZEROS.length, dst.remaining()));
        }
    }

    /** Whether every byte of {@code b} from its position to its limit is zero. */
    static boolean isZero(ByteBuffer b) {
        int i = b.position();
        int end = b.limit();
        for (; i + 8 <= end; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
