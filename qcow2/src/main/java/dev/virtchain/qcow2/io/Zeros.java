package dev.virtchain.qcow2.io;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Zero-filling without a byte-at-a-time loop. */
public final class Zeros {
    private static final byte[] ZEROS = new byte[64 * 1024];

    private Zeros() {
    }

    /** Fills {@code dst} from its position to its limit with zeros and advances the position to the limit. */
    public static void fill(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(ZEROS, 0, Math.min(ZEROS.length, dst.remaining()));
        }
    }

    /** Whether every byte of {@code b} from its position to its limit is zero. */
    public static boolean isZero(ByteBuffer b) {
        if (b.hasArray()) {
            // Arrays.mismatch is a vectorized intrinsic: several times faster than a getLong loop.
            byte[] a = b.array();
            int from = b.arrayOffset() + b.position();
            int end = b.arrayOffset() + b.limit();
            for (int i = from; i < end; i += ZEROS.length) {
                int n = Math.min(ZEROS.length, end - i);
                if (Arrays.mismatch(a, i, i + n, ZEROS, 0, n) >= 0) {
                    return false;
                }
            }
            return true;
        }
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
