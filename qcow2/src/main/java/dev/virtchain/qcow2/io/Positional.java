package dev.virtchain.qcow2.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Whole transfers at a file position. A positional read or write may move fewer bytes than
 * asked, so one call is never enough; this is the one loop that repeats it.
 */
public final class Positional {
    private Positional() {
    }

    /**
     * Reads from {@code pos} until {@code dst} is full or the file ends.
     *
     * @return true when {@code dst} is full; false when the file ended first, with {@code dst}'s
     *         position after the last byte read
     */
    public static boolean readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        long p = pos;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, p);
            if (n < 0) {
                return false;
            }
            p += n;
        }
        return true;
    }

    /** Fills {@code dst} from {@code pos}; what lies past the end of the file reads as zeros, as in qemu. */
    public static void readZeroPadded(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        if (!readFully(ch, dst, pos)) {
            Zeros.fill(dst);
        }
    }

    /** Writes all of {@code src}'s remaining bytes at {@code pos}. */
    public static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        long p = pos;
        while (src.hasRemaining()) {
            p += ch.write(src, p);
        }
    }
}
