package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.read.ChainStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares the guest-visible content of two images through their backing chains, with the
 * verdicts and offsets of {@code qemu-img compare} (7.2).
 *
 * <p>qemu walks both chains by block status: ranges that read as zero on both sides are skipped
 * without reading, ranges allocated on one side only must read as zero there, and the rest is
 * read in chunks of at most 2 MiB and compared sector by sector, so a mismatch is reported at the
 * start of the first differing 512-byte sector of its chunk. This class walks the same chunks
 * (so offsets and strict-mode verdicts match qemu's) but reads consecutive chunks together, up to
 * {@link #WINDOW} bytes per image; memory stays bounded whatever the image size.
 */
public final class ImageCompare {
    /** qemu-img's IO_BUF_SIZE: it reads at most this much per chunk, which decides where it asks for status next. */
    static final long QEMU_CHUNK = 2L << 20;
    /** How much of each image one comparison reads at once. */
    static final int WINDOW = 4 << 20;
    private static final int SECTOR = 512;
    private static final long NONE = -1;

    /** How a comparison ended. */
    public enum Verdict {
        IDENTICAL, CONTENT_MISMATCH, STRICT_SIZE_MISMATCH, STRICT_STATUS_MISMATCH
    }

    /**
     * The outcome: {@code offset} is where the mismatch was found (-1 when there is none), and
     * {@code sizeMismatch} says the images differ in size and the larger one's tail was checked
     * for zeros (qemu then warns before its verdict).
     */
    public record Result(Verdict verdict, long offset, boolean sizeMismatch) {

        /** qemu-img compare's exit code: 0 identical, 1 different. */
        public int exitCode() {
            return verdict == Verdict.IDENTICAL ? 0 : 1;
        }

        /** The lines qemu-img compare prints on stdout for this outcome (none with -q). */
        public List<String> lines() {
            List<String> out = new ArrayList<>(2);
            if (sizeMismatch) {
                out.add("Warning: Image size mismatch!");
            }
            out.add(switch (verdict) {
                case IDENTICAL -> "Images are identical.";
                case CONTENT_MISMATCH -> "Content mismatch at offset " + offset + "!";
                case STRICT_SIZE_MISMATCH -> "Strict mode: Image size mismatch!";
                case STRICT_STATUS_MISMATCH -> "Strict mode: Offset " + offset + " block status mismatch!";
            });
            return out;
        }
    }

    /** A block status or read failure in the middle of a comparison, with qemu-img compare's exit code for it. */
    public static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        /** The cause already names the layer and the broken rule; the step names the image compared. */
        Failure(int exitCode, String step, IOException cause) {
            super(cause.getMessage() + " (compare: " + step + ")", cause);
            this.exitCode = exitCode;
        }

        /** 3 when block status failed, 4 when reading failed, as qemu-img compare exits. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Image a;
    private final Image b;
    private final ByteBuffer bufA = ByteBuffer.allocateDirect(WINDOW);
    private final ByteBuffer bufB = ByteBuffer.allocateDirect(WINDOW);
    /** Start offsets of qemu's chunks in the pending window: a mismatch is reported relative to its chunk. */
    private final long[] chunkStarts = new long[WINDOW / SECTOR + 1];
    private int chunks;
    private long pendingStart;
    private long pendingEnd;

    private ImageCompare(Image a, Image b) {
        this.a = a;
        this.b = b;
    }

    /**
     * Compares {@code a} with {@code b}. In strict mode a size difference or any difference in
     * block status (allocation, zero, data, offset) is a mismatch too, as with {@code qemu-img compare -s}.
     *
     * @throws Failure when block status or a read fails part way
     */
    public static Result compare(Image a, Image b, boolean strict) throws IOException {
        return new ImageCompare(a, b).run(strict);
    }

    private Result run(boolean strict) throws IOException {
        long size1 = a.virtualSize();
        long size2 = b.virtualSize();
        if (strict && size1 != size2) {
            return new Result(Verdict.STRICT_SIZE_MISMATCH, NONE, false);
        }
        long common = Math.min(size1, size2);
        long offset = 0;
        while (offset < common) {
            ChainStatus s1 = status(a, offset, size1 - offset);
            ChainStatus s2 = status(b, offset, size2 - offset);
            long chunk = Math.min(s1.length(), s2.length());
            if (strict && s1.flags() != s2.flags()) {
                long m = flush();
                return m != NONE ? new Result(Verdict.CONTENT_MISMATCH, m, false)
                        : new Result(Verdict.STRICT_STATUS_MISMATCH, offset, false);
            }
            // Both zero: nothing to read. Both unallocated: qemu reads nothing either.
            // Otherwise compare (one side unallocated reads as zeros, which is what qemu checks).
            boolean bothZero = s1.zero() && s2.zero();
            if (!bothZero && (s1.allocated() || s2.allocated())) {
                chunk = Math.min(chunk, QEMU_CHUNK);
                long m = add(offset, chunk);
                if (m != NONE) {
                    return new Result(Verdict.CONTENT_MISMATCH, m, false);
                }
            }
            offset += chunk;
        }
        long m = flush();
        if (m != NONE) {
            return new Result(Verdict.CONTENT_MISMATCH, m, false);
        }
        if (size1 == size2) {
            return new Result(Verdict.IDENTICAL, NONE, false);
        }
        // The larger image's tail must read as zero; the smaller one reads as zeros past its end.
        Image over = size1 > size2 ? a : b;
        long end = Math.max(size1, size2);
        while (offset < end) {
            ChainStatus s = status(over, offset, end - offset);
            long chunk = s.length();
            if (s.allocated() && !s.zero()) {
                chunk = Math.min(chunk, QEMU_CHUNK);
                m = add(offset, chunk);
                if (m != NONE) {
                    return new Result(Verdict.CONTENT_MISMATCH, m, true);
                }
            }
            offset += chunk;
        }
        m = flush();
        return m != NONE ? new Result(Verdict.CONTENT_MISMATCH, m, true) : new Result(Verdict.IDENTICAL, NONE, true);
    }

    private static ChainStatus status(Image image, long offset, long bytes) throws Failure {
        try {
            return ChainStatus.above(image, offset, bytes);
        } catch (Failure e) {
            throw e;
        } catch (IOException e) {
            throw new Failure(3, "block status at offset " + offset + " of " + Names.escape(image.filename()), e);
        }
    }

    /** Queues qemu's chunk [offset, offset+length) for comparison; returns a mismatch found on the way, or NONE. */
    private long add(long offset, long length) throws IOException {
        long m = NONE;
        if (chunks > 0 && (offset != pendingEnd || pendingEnd + length - pendingStart > WINDOW
                || chunks == chunkStarts.length)) {
            m = flush();
        }
        if (m != NONE) {
            return m;
        }
        if (chunks == 0) {
            pendingStart = offset;
        }
        chunkStarts[chunks++] = offset;
        pendingEnd = offset + length;
        return NONE;
    }

    /** Compares the pending window; returns qemu's mismatch offset, or NONE. */
    private long flush() throws IOException {
        if (chunks == 0) {
            return NONE;
        }
        int len = (int) (pendingEnd - pendingStart);
        ByteBuffer wa = bufA.clear().slice(0, len);
        ByteBuffer wb = bufB.clear().slice(0, len);
        read(a, pendingStart, wa.duplicate());
        read(b, pendingStart, wb.duplicate());
        int i = wa.mismatch(wb);
        long start = pendingStart;
        int n = chunks;
        chunks = 0;
        if (i < 0) {
            return NONE;
        }
        long d = start + i;
        int c = n - 1;
        while (chunkStarts[c] > d) {
            c--;
        }
        // compare_buffers and find_nonzero both step in whole sectors from the chunk's start
        return chunkStarts[c] + ((d - chunkStarts[c]) & ~(long) (SECTOR - 1));
    }

    private static void read(Image image, long offset, ByteBuffer dst) throws Failure {
        try {
            image.read(offset, dst);
        } catch (Failure e) {
            throw e;
        } catch (IOException e) {
            throw new Failure(4, "reading offset " + offset + " of " + Names.escape(image.filename()), e);
        }
    }
}
