package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.read.Images;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The files of a remote set, read by position. A file read in order (a full backup flattened)
 * is read in blocks of {@value #BLOCK} bytes by ranged GETs, kept in a bounded cache shared by all
 * files, its next blocks fetched ahead several at once, so a flatten waits on the network as little
 * as it waits on a disk. A read that jumps (an incremental's clusters, stored in the order the
 * guest wrote them, read in guest order; a qcow2 table) is one ranged GET of exactly its bytes:
 * rounding it up to a block would fetch, and with many files evict, far more than is read.
 */
public final class RemoteFiles implements AutoCloseable {
    /** 2 MiB: a few requests per second per MiB/s, and little read in vain around a 64 KiB table. */
    static final int BLOCK = 2 << 20;
    /** Blocks fetched ahead of a file read in order. */
    private static final int AHEAD = 6;
    /** Reads in order before blocks and read-ahead take over. */
    private static final int STREAK = 3;
    /** At most 96 MiB of blocks in memory. */
    private static final int MAX_BLOCKS = 48;

    private record Key(String name, long block) {
    }

    private final Bucket bucket;
    private final Map<String, Bucket.ObjectInfo> objects;
    private final ExecutorService pool;
    private final Map<Key, CompletableFuture<byte[]>> blocks = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, CompletableFuture<byte[]>> eldest) {
            return size() > MAX_BLOCKS;
        }
    };
    /** Per file: the furthest block of its current run of reads in order, and how many reads the run has. */
    private final Map<String, long[]> runs = new HashMap<>();

    /** The files of the set in {@code bucket}, as its listing {@code objects} has them. */
    public RemoteFiles(Bucket bucket, Map<String, Bucket.ObjectInfo> objects) {
        this.bucket = bucket;
        this.objects = Map.copyOf(objects);
        this.pool = Executors.newFixedThreadPool(AHEAD + 4, r -> {
            Thread t = new Thread(r, "remote-read");
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the files of a chain: {@link Images#open(String, String, boolean, dev.virtchain.qcow2.PastEnd, Images.Opener)}. */
    public Images.Opener opener() {
        return this::open;
    }

    /** File {@code name} of the set as an image file read by ranges. */
    public ImageFile open(String name) throws IOException {
        Bucket.ObjectInfo o = objects.get(name);
        if (o == null) {
            throw new ImageException(ErrorKind.NOT_FOUND, name, "no such file");
        }
        return ImageFile.over(name, new ObjectChannel(this, name, o.size()));
    }

    /** Fills {@code dst} (which lies in the object) from {@code pos} of {@code name}, an object of {@code size} bytes. */
    void read(String name, long size, long pos, ByteBuffer dst) throws IOException {
        if (!sequential(name, pos / BLOCK)) {
            if (!bucket.read(name, pos, dst)) {
                throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(name) + " is shorter than listed (" + size
                        + " bytes): it changed after the listing");
            }
            return;
        }
        long p = pos;
        while (dst.hasRemaining()) {
            long b = p / BLOCK;
            byte[] data = await(block(name, size, b));
            int off = (int) (p - b * BLOCK);
            int n = Math.min(dst.remaining(), data.length - off);
            if (n <= 0) {
                throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(name) + " is shorter than listed (" + size
                        + " bytes)");
            }
            dst.put(data, off, n);
            p += n;
        }
    }

    /**
     * Whether a read at block {@code b} of {@code name} continues the file's reading in order: the
     * {@value #STREAK}th read or later in a row near the furthest block read so far (several readers
     * at once read a little out of order), or one in a block already cached. A jump elsewhere
     * starts a new run.
     */
    private boolean sequential(String name, long b) {
        synchronized (blocks) {
            long[] run = runs.computeIfAbsent(name, n -> new long[] {-10, 0}); // furthest block, reads in a row
            // Eight readers a chunk apart read up to AHEAD blocks either side of each other.
            boolean near = b >= run[0] - AHEAD && b <= run[0] + AHEAD;
            if (near) {
                run[0] = Math.max(run[0], b);
                run[1]++;
            } else {
                run[0] = b;
                run[1] = 1;
            }
            return run[1] >= STREAK || blocks.containsKey(new Key(name, b));
        }
    }

    private CompletableFuture<byte[]> block(String name, long size, long b) {
        long blocksInFile = (size + BLOCK - 1) / BLOCK;
        CompletableFuture<byte[]> f;
        synchronized (blocks) {
            f = fetch(name, size, b);
            for (long a = b + 1; a <= b + AHEAD && a < blocksInFile; a++) {
                fetch(name, size, a);
            }
        }
        return f;
    }

    /** The block's future, started now unless it is cached or under way; call holding {@code blocks}. */
    private CompletableFuture<byte[]> fetch(String name, long size, long b) {
        Key k = new Key(name, b);
        CompletableFuture<byte[]> f = blocks.get(k);
        if (f == null || f.isCompletedExceptionally()) {
            long start = b * BLOCK;
            int len = (int) Math.min(BLOCK, size - start);
            f = CompletableFuture.supplyAsync(() -> {
                ByteBuffer buf = ByteBuffer.allocate(len);
                try {
                    if (!bucket.read(name, start, buf)) {
                        throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(name) + " is shorter than listed ("
                                + size + " bytes): it changed after the listing");
                    }
                } catch (OffsiteException e) {
                    throw new CompletionException(e);
                }
                return buf.array();
            }, pool);
            blocks.put(k, f);
        }
        return f;
    }

    private static byte[] await(CompletableFuture<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause()
                    : e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted reading from the bucket");
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
