package dev.virtchain.qcow2.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * What the fuzz targets ({@code *FuzzTest} with a {@link FuzzTarget}) share: writing the input,
 * the walks over an opened image, and the property they all assert. Anything but an
 * {@link IOException} that escapes a target (a RuntimeException, an OutOfMemoryError) is a
 * finding as it is, so Jazzer groups findings by where they were thrown.
 */
public final class FuzzHarness {
    /** Whole guests are read up to here; a hostile size may claim exabytes. */
    static final long READ_CAP = 16L << 20;
    /** Map entries walked before stopping: a hostile L1 table can name one L2 table a million times. */
    static final int MAP_BUDGET = 1 << 16;

    private FuzzHarness() {
    }

    /** Writes the input's file where single-image targets open it. */
    static Path write(byte[] input) throws IOException {
        Path file = FuzzWorld.get().image();
        FuzzInput.decode(input).writeTo(file);
        return file;
    }

    /** Work on an opened image. */
    @FunctionalInterface
    public interface ImageWork {
        void run(Image img) throws IOException;
    }

    /** Writes the input, opens it with its chain (as the img commands do) and does {@code work}, which may fail only naming a file. */
    public static void withImage(byte[] input, ImageWork work) throws IOException {
        Path file = write(input);
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(file.toString())) {
                work.run(img);
            }
        });
    }

    /** What {@code img info} looks at, for each layer. */
    public static void describe(Image top) throws IOException {
        for (Image l = top; l != null; l = l.backing()) {
            l.filename();
            l.format();
            l.virtualSize();
            if (l instanceof Qcow2Image q) {
                q.header();
                q.snapshots();
                q.bitmaps();
                q.dataFilePath();
            }
        }
    }

    /**
     * Reads the guest (up to {@link #READ_CAP}, and its last MiB) and past its end, which must
     * read as zeros; reads the first MiB again in odd pieces, which must give the same bytes.
     */
    public static void readGuest(Image img) throws IOException {
        long size = img.virtualSize();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long pos = 0; pos < Math.min(size, READ_CAP); pos += buf.capacity()) {
            buf.clear();
            img.read(pos, buf);
        }
        if (size > READ_CAP) {
            buf.clear();
            img.read(size - buf.capacity(), buf);
        }
        ByteBuffer end = ByteBuffer.allocate(4096);
        long tailStart = Math.max(0, size - 100);
        img.read(tailStart, end);
        for (int i = (int) (size - tailStart); i < end.capacity(); i++) {
            if (end.get(i) != 0) {
                throw new AssertionError("byte " + (tailStart + i) + " past the virtual size (" + size + ") reads as "
                        + end.get(i));
            }
        }
        int first = (int) Math.min(size, 1 << 20);
        ByteBuffer whole = ByteBuffer.allocate(first);
        img.read(0, whole);
        ByteBuffer pieces = ByteBuffer.allocate(first);
        int[] lengths = {1, 511, 4099, 65529, 513, 131072, 7};
        for (int i = 0; pieces.hasRemaining(); i++) {
            int n = Math.min(lengths[i % lengths.length], pieces.remaining());
            img.read(pieces.position(), pieces.slice(pieces.position(), n));
            pieces.position(pieces.position() + n);
        }
        assertArrayEquals(whole.array(), pieces.array(), "the first MiB read whole and read in pieces");
    }

    /** Walks the chain's map: entries follow each other without gaps and stay inside the guest. */
    public static void walkMap(Image top) throws IOException {
        int depth = 0;
        for (Image l = top.backing(); l != null; l = l.backing()) {
            depth++;
        }
        int maxDepth = depth;
        long size = top.virtualSize();
        long[] next = {0};
        int[] entries = {0};
        try {
            ChainMap.walk(top, e -> {
                if (e.start() != next[0] || e.length() <= 0 || e.length() > size - e.start()
                        || e.depth() < 0 || e.depth() > maxDepth) {
                    throw new AssertionError("map entry " + e + " after " + next[0] + " in a guest of " + size
                            + " bytes and a chain of depth " + maxDepth);
                }
                next[0] = e.start() + e.length();
                if (++entries[0] == MAP_BUDGET) {
                    throw new BudgetSpent();
                }
            });
        } catch (BudgetSpent enough) {
            return;
        }
        assertEquals(size, next[0], "the map ends at the virtual size");
    }

    /** Thrown by a map sink to stop a walk that is merely long. */
    private static final class BudgetSpent extends IOException {
        private static final long serialVersionUID = 1L;
    }

    // ---- the property ----

    /** Work on a hostile image. */
    @FunctionalInterface
    public interface Work {
        void run() throws IOException;
    }

    /** Runs {@code work}, which may fail with an IOException naming a file; anything else escapes as a finding. */
    public static void failsOnlyNamingAFile(Work work) {
        try {
            work.run();
        } catch (IOException e) {
            assertNamesAFile(e);
        }
    }

    /**
     * The message names a file: one of ours (they all lie in the world's directory) or one that a
     * hostile image named (an absolute path), as {@code ImageException} messages start.
     */
    public static void assertNamesAFile(IOException e) {
        String m = e.getMessage();
        if (m == null || !(m.contains(FuzzWorld.get().dir().toString()) || m.startsWith("/"))) {
            throw new AssertionError("an IOException that names no file: " + e, e);
        }
    }
}
