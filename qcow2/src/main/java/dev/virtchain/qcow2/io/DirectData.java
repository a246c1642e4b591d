package dev.virtchain.qcow2.io;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A second handle on a file, opened with {@code O_DIRECT}, for the bulk of its data: the output
 * of a flatten, or the chain it reads. Measured on the ext4 VM the benchmark runs on:
 * <ul>
 * <li>writing: 2.4 GB written buffered and then fsynced took 5.1 s, the same bytes written with
 * O_DIRECT 2.1 s. The kernel writes a large dirty file back slowly there, and the final fsync
 * waits for all of it;</li>
 * <li>reading: the kernel's read-ahead around each data run of a backup chain also reads the
 * clusters next to it, mostly clusters that a higher layer hides; the bench chain read 2.9 GB
 * buffered for its 2.5 GB of data, and 2.5 GB direct.</li>
 * </ul>
 *
 * <p>Only whole, aligned blocks can go this way: the buffer's address, the file position and the
 * length must all be multiples of the file system's block size. {@link #fits} says whether a
 * transfer qualifies; one that does not goes through the ordinary handle. A writer's two handles
 * must never write the same block: qcow2 clusters of at least one block keep data and metadata
 * apart. O_DIRECT makes no promise of durability (the disk may cache the write), so a writer's
 * fsyncs stay where they are: an fsync covers the file, whichever handle wrote. Files on other
 * file systems than ext4 and XFS, or where O_DIRECT is refused, keep the page cache.
 */
public final class DirectData implements AutoCloseable {
    private final FileChannel ch;
    private final int align;
    /** Writes in flight, once {@link #writeBehind} turned it on; else null. */
    private WriteBehind behind;

    private DirectData(FileChannel ch, int align) {
        this.ch = ch;
        this.align = align;
    }

    /** A direct handle for writing {@code file}, or null where the file system does not take O_DIRECT. */
    public static DirectData open(Path file) {
        return open(file, null, null);
    }

    /**
     * As {@link #open(Path)}, the writes made through it told to {@code crc} (see
     * {@link CrcTrackingChannel}), the bytes they replace read through {@code previous}, the file's
     * ordinary handle; without {@code crc} an untracked handle.
     */
    public static DirectData open(Path file, FileChannel previous, RunningCrc32c crc) {
        FileChannel ch = openDirect(file, StandardOpenOption.WRITE);
        if (ch == null) {
            return null;
        }
        return new DirectData(crc == null ? ch : new CrcTrackingChannel(ch, previous, crc), alignment(file));
    }

    /** The alignment direct transfers need: the file system's block, at least 4 KiB, at most 64 KiB. */
    private static int alignment(Path file) {
        try {
            long block = Files.getFileStore(file).getBlockSize();
            return Long.bitCount(block) == 1 && block >= 4096 && block <= 65536 ? (int) block : 4096;
        } catch (IOException | UnsupportedOperationException e) {
            return 4096;
        }
    }

    /**
     * The file systems direct transfers are used on: local disk file systems where they were
     * measured to help. Elsewhere the page cache stays: on NFS, say, every direct write is a
     * round trip the client's write-behind would have overlapped; btrfs has its own copy path.
     */
    private static final Set<String> DIRECT_FILE_SYSTEMS = Set.of("ext4", "xfs");

    private static FileChannel openDirect(Path file, OpenOption mode) {
        try {
            if (!DIRECT_FILE_SYSTEMS.contains(Files.getFileStore(file).type())) {
                return null;
            }
            return FileChannel.open(file, mode, ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The alignment direct writes need, in bytes. */
    public int alignment() {
        return align;
    }

    /** Whether {@code b}'s remaining bytes can be transferred at {@code pos} past the page cache. */
    boolean fits(ByteBuffer b, long pos) {
        return fits(b, pos, align);
    }

    private static boolean fits(ByteBuffer b, long pos, int align) {
        return b.isDirect() && b.remaining() > 0 && b.remaining() % align == 0 && pos % align == 0
                && b.alignmentOffset(b.position(), align) == 0;
    }

    /**
     * Writes {@code b}'s remaining bytes at {@code pos} past the page cache and returns true, or
     * returns false, having written nothing, when they do not {@link #fits fit}.
     */
    public boolean write(ByteBuffer b, long pos) throws IOException {
        if (!fits(b, pos)) {
            return false;
        }
        if (behind != null) {
            behind.write(b, pos);
        } else {
            Positional.writeFully(ch, b, pos);
        }
        return true;
    }

    /**
     * From now on, writes return once their bytes are copied, and up to {@code depth} of them are
     * in flight at once (see {@link WriteBehind}). Only for a writer that never writes a block
     * twice while a write to it may be in flight (a flatten's fresh output), and that calls
     * {@link #drain} before each fsync.
     */
    public void writeBehind(int depth) {
        if (behind == null) {
            behind = new WriteBehind(ch, depth);
        }
    }

    /** Waits for every write in flight; rethrows the first that failed. */
    public void drain() throws IOException {
        if (behind != null) {
            behind.drain();
        }
    }

    /**
     * Writes {@code b}'s remaining bytes at {@code pos}: through {@code direct} when there is one
     * and they {@link #fits fit}, else through {@code cached}, the file's ordinary handle.
     */
    public static void write(DirectData direct, FileChannel cached, ByteBuffer b, long pos) throws IOException {
        if (direct == null || !direct.write(b, pos)) {
            Positional.writeFully(cached, b, pos);
        }
    }

    /**
     * Buffers of {@link #allocateAligned} given back by {@link #reuse}, by size. A direct buffer's
     * memory is freed only when the collector finds its small heap object unreachable, which in a
     * run that makes little garbage can take long: restore's checksum check reads each file of a
     * chain with read-ahead buffers of its own (11 files, 20 MiB each), and without reuse they
     * piled up to a peak RSS of 312 MiB where the restore alone needs 140.
     */
    private static final Map<Integer, ArrayDeque<ByteBuffer>> SPARE = new HashMap<>();
    /** At most this much is kept for reuse; the collector frees what is given back past it. */
    private static final long SPARE_MAX = 64L << 20;
    private static long spareBytes;

    /**
     * A direct buffer of {@code size} bytes whose address suits direct transfers on any file system:
     * one given back by {@link #reuse} when there is one of that size.
     */
    public static ByteBuffer allocateAligned(int size) {
        synchronized (SPARE) {
            ArrayDeque<ByteBuffer> spare = SPARE.get(size);
            ByteBuffer b = spare == null ? null : spare.poll();
            if (b != null) {
                spareBytes -= size;
                return b.clear();
            }
        }
        int whole = (int) (((long) size + 65535) & ~65535L);
        return ByteBuffer.allocateDirect(whole + 65536).alignedSlice(65536).limit(size).slice();
    }

    /** Forgets every buffer given back (for tests that count what is reused). */
    static void forgetSpares() {
        synchronized (SPARE) {
            SPARE.clear();
            spareBytes = 0;
        }
    }

    /**
     * Gives back {@code b}, a buffer of {@link #allocateAligned} that nothing uses any more (no read
     * or write in flight, no reference kept), for the next allocation of its size. Giving one back
     * twice would hand it to two users: callers give back each of theirs once.
     */
    public static void reuse(ByteBuffer b) {
        synchronized (SPARE) {
            if (spareBytes + b.capacity() <= SPARE_MAX) {
                SPARE.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).add(b);
                spareBytes += b.capacity();
            }
        }
    }

    @Override
    public void close() throws IOException {
        try (FileChannel c = ch) {
            if (behind != null) {
                behind.close();
            }
        }
    }

    /** A direct handle for reading one file of a chain. */
    public static final class Reader implements AutoCloseable {
        /** Windows of the file probed for residency in the page cache. */
        private static final int PROBES = 16;
        private static final int PROBE_BYTES = 256 << 10;

        private final FileChannel ch;
        private final int align;

        private Reader(FileChannel ch, int align) {
            this.ch = ch;
            this.align = align;
        }

        /**
         * A direct read handle on {@code file} (of {@code size} bytes, open as {@code cached}), or
         * null when the file is mostly in the page cache already (a chain just written, say, which
         * the cache serves far faster than the disk) or its file system refuses O_DIRECT.
         */
        static Reader openIfCold(Path file, FileChannel cached, long size) {
            if (mostlyCached(cached, size)) {
                return null;
            }
            FileChannel ch = openDirect(file, StandardOpenOption.READ);
            return ch == null ? null : new Reader(ch, alignment(file));
        }

        /**
         * Whether at least half of {@link #PROBES} windows spread over the file are resident in
         * the page cache ({@code mincore}, through {@link MappedByteBuffer#isLoaded}). A file that
         * cannot be mapped counts as not cached.
         */
        public static boolean mostlyCached(FileChannel ch, long size) {
            if (size <= 0) {
                return false;
            }
            int loaded = 0;
            int probes = 0;
            long step = Math.max(PROBE_BYTES, size / PROBES);
            for (long at = 0; at < size && probes < PROBES; at += step, probes++) {
                try {
                    MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, at, Math.min(PROBE_BYTES, size - at));
                    if (m.isLoaded()) {
                        loaded++;
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    return false;
                }
            }
            return loaded * 2 >= probes;
        }

        boolean fits(ByteBuffer b, long pos) {
            return DirectData.fits(b, pos, align);
        }

        FileChannel channel() {
            return ch;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
