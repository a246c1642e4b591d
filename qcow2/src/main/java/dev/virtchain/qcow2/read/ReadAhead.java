package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.io.DirectData;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads guest ranges of an image ahead of their consumer, with a few reads in flight at once,
 * and hands the chunks out in guest order. Several outstanding reads keep the disk's queue
 * busy (a cold backup chain is mostly random reads in the overlays) and reading overlaps the
 * consumer's writing. Memory is fixed: {@code depth + 1} direct buffers of {@code chunk} bytes,
 * whatever the image size. The image must allow concurrent {@link Image#read} calls.
 */
public final class ReadAhead implements AutoCloseable {
    /** A guest range and its content, from position 0 to the limit; valid until the next {@link #next}. */
    public record Chunk(long offset, ByteBuffer data) {
    }

    private final Image src;
    private final List<long[]> ranges;
    private final int chunk;
    private final ExecutorService pool;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final ArrayDeque<Future<Chunk>> inFlight = new ArrayDeque<>();
    /** Every buffer this allocated, given back for reuse once {@link #close} stopped the readers. */
    private final List<ByteBuffer> owned = new ArrayList<>();
    private int range;
    private long pos;
    private Chunk current;

    /**
     * @param ranges guest ranges to read, in order, each {@code [start, end)}
     * @param chunk  bytes per read
     * @param depth  reads in flight at once (also the number of reading threads)
     */
    public ReadAhead(Image src, List<long[]> ranges, int chunk, int depth) {
        this.src = src;
        this.ranges = ranges;
        this.chunk = chunk;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(depth, r -> {
            Thread t = new Thread(r, "read-ahead-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i <= depth; i++) {
            // Direct: the kernel reads into them and the writer writes from them without the
            // JDK's copy through a temporary direct buffer (two memcpys per byte otherwise).
            // Aligned, so that an output opened with O_DIRECT can take them as they are.
            owned.add(DirectData.allocateAligned(chunk));
        }
        free.addAll(owned);
        this.pos = ranges.isEmpty() ? 0 : ranges.get(0)[0];
        for (int i = 0; i < depth; i++) {
            submitNext();
        }
    }

    /** The next chunk in guest order, or null after the last; the previous chunk's buffer is reused. */
    public Chunk next() throws IOException {
        if (current != null) {
            free.add(current.data());
            current = null;
            submitNext();
        }
        Future<Chunk> f = inFlight.poll();
        if (f == null) {
            return null;
        }
        try {
            current = f.get();
            return current;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a read at " + ImageException.hex(pos));
        }
    }

    private void submitNext() {
        while (range < ranges.size() && pos >= ranges.get(range)[1]) {
            range++;
            if (range < ranges.size()) {
                pos = ranges.get(range)[0];
            }
        }
        if (range >= ranges.size()) {
            return;
        }
        long offset = pos;
        int n = (int) Math.min(chunk, ranges.get(range)[1] - offset);
        pos += n;
        ByteBuffer buf = free.poll();
        inFlight.add(pool.submit(() -> {
            buf.clear().limit(n);
            src.read(offset, buf);
            return new Chunk(offset, buf.flip());
        }));
    }

    /**
     * Waits for reads still in flight (after a failure) and stops the threads. Never interrupts
     * a reader: an interrupted thread in a FileChannel read would close the image's channel. Then
     * the buffers are given back for reuse (see {@link DirectData#reuse}): the last chunk handed
     * out is invalid from here on too.
     */
    @Override
    public void close() throws IOException {
        for (Future<Chunk> f : inFlight) {
            f.cancel(false);
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(1, TimeUnit.MINUTES)) {
                throw new IOException("read-ahead threads did not finish within a minute");
            }
            owned.forEach(DirectData::reuse);
            owned.clear(); // a second close gives nothing back twice
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for read-ahead threads");
        }
    }
}
