package dev.virtchain.qcow2.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What java.nio does not tell about a file: the bytes it takes on disk ({@code st_blocks}) and
 * where its holes are ({@code SEEK_DATA}/{@code SEEK_HOLE}). Without the C library (another OS)
 * a file counts as fully allocated data. {@link FileClone} uses the same C library for ioctl.
 */
public final class NativeFiles {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    /** {@code st_blocks} sits at byte 64 of struct stat on both x86_64 and aarch64 Linux. */
    private static final int ST_BLOCKS_OFFSET = 64;
    private static final int STAT_SIZE = 256;

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int sync_file_range(int fd, long offset, long nbytes, int flags) throws LastErrorException;

        /** Returns the error number instead of setting errno. */
        int posix_fadvise(int fd, long offset, long len, int advice);

        int stat(String path, Memory buf) throws LastErrorException;

        int __xstat(int ver, String path, Memory buf) throws LastErrorException;

        /** ioctl with a pointer argument; {@code request} is C's unsigned long (64 bits on the platforms we run on). */
        int ioctl(int fd, long request, Memory arg) throws LastErrorException;
    }

    /** Loaded on first use (see {@link #loadInBackground}), not when this class is. */
    private static final class Loaded {
        static final LibC LIBC = load();
    }

    private NativeFiles() {
    }

    /**
     * Loads the C library on a background thread, for a command that will need it soon: loading
     * JNA (its native part unpacked to a file, and {@code ldconfig -p} run by its class
     * initializer) took 0.3 s and more of a commit on a loaded machine, time the caller can spend
     * reading metadata instead. A caller that gets here first waits for the load as before.
     */
    public static void loadInBackground() {
        Thread t = new Thread(NativeFiles::libc, "load-libc");
        t.setDaemon(true);
        t.start();
    }

    /** The C library, or null where it could not be loaded. */
    static LibC libc() {
        return Loaded.LIBC;
    }

    /**
     * By its versioned name first: JNA opens that at once, while "c" maps to {@code libc.so},
     * which only a development package provides, and JNA then runs {@code ldconfig -p} to find
     * the library, a process start on every command that touches a native call (measured: 0.1 to
     * 0.2 s of a commit on a loaded machine).
     */
    private static LibC load() {
        for (String name : new String[] {"libc.so.6", "c"}) {
            try {
                return Native.load(name, LibC.class);
            } catch (Throwable t) {
                // not this name: try the next
            }
        }
        return null;
    }

    /**
     * Starts writing back {@code path}'s dirty pages without waiting for them
     * ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}); does nothing where that is not available.
     */
    public static void startWriteback(Path path) {
        if (libc() == null) {
            return;
        }
        try {
            int fd = libc().open(path.toString(), O_RDONLY);
            try {
                libc().sync_file_range(fd, 0, 0, 2 /* SYNC_FILE_RANGE_WRITE */);
            } finally {
                libc().close(fd);
            }
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            // only a hint: the final flush writes everything anyway
        }
    }

    /**
     * Asks the kernel to read {@code ranges} ({@code {offset, end}} pairs) of {@code path} into the
     * page cache ({@code posix_fadvise(POSIX_FADV_WILLNEED)}, which starts the reads and returns
     * before they finish); does nothing where that is not available: it is only a hint.
     */
    public static void willNeed(Path path, List<long[]> ranges) {
        if (libc() == null || ranges.isEmpty()) {
            return;
        }
        try {
            int fd = libc().open(path.toString(), O_RDONLY | O_CLOEXEC);
            try {
                for (long[] r : ranges) {
                    libc().posix_fadvise(fd, r[0], r[1] - r[0], 3 /* POSIX_FADV_WILLNEED */);
                }
            } finally {
                libc().close(fd);
            }
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            // only a hint: the reads it would have sped up happen anyway
        }
    }

    /** As {@link #willNeed(Path, List)} for the whole file. */
    public static void willNeed(Path path) {
        willNeed(path, List.of(new long[] {0, 0})); // a length of 0: to the end of the file
    }

    /** {@code st_blocks * 512}, or the file's length when that is not known. */
    public static long allocatedBytes(Path path) {
        if (libc() != null) {
            try (Memory buf = new Memory(STAT_SIZE)) {
                buf.clear();
                try {
                    libc().stat(path.toString(), buf);
                } catch (UnsatisfiedLinkError e) {
                    libc().__xstat(1, path.toString(), buf); // glibc before 2.33 exports only __xstat
                }
                return buf.getLong(ST_BLOCKS_OFFSET) * 512;
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                // fall through
            }
        }
        try {
            return Files.size(path);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** A file opened for hole queries; {@link #close} it. */
    public static final class Holes implements AutoCloseable {
        private final int fd;
        private final long size;

        private Holes(int fd, long size) {
            this.fd = fd;
            this.size = size;
        }

        public static Holes open(Path path, long size) {
            if (libc() == null) {
                return new Holes(-1, size);
            }
            try {
                return new Holes(libc().open(path.toString(), O_RDONLY), size);
            } catch (LastErrorException | UnsatisfiedLinkError e) {
                return new Holes(-1, size);
            }
        }

        /**
         * The extent starting at {@code offset}: its length (at most {@code max}) and whether
         * it is data (true) or a hole (false).
         */
        public Extent extentAt(long offset, long max) {
            if (fd < 0 || offset >= size) {
                return new Extent(max, offset < size);
            }
            try {
                long data = libc().lseek(fd, offset, SEEK_DATA);
                if (data > offset) {
                    return new Extent(Math.min(max, data - offset), false);
                }
                long hole = libc().lseek(fd, offset, SEEK_HOLE);
                return new Extent(Math.min(max, Math.max(1, hole - offset)), true);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ENXIO) {
                    return new Extent(max, false); // a trailing hole
                }
                return new Extent(max, true);
            }
        }

        @Override
        public void close() {
            if (fd >= 0) {
                try {
                    libc().close(fd);
                } catch (LastErrorException e) {
                    // nothing to do: the descriptor was read-only
                }
            }
        }
    }

    public record Extent(long length, boolean data) {
    }
}
