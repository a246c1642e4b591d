package dev.virtchain.qcow2.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Direct writes with several in flight: a direct write returns only when the device has the
 * bytes, so a writer that issues one at a time leaves a fast disk idle between them (one request
 * in flight), and its reading waits too. Each write is copied into one of {@code depth} buffers
 * of its own (a memory copy is far faster than the disk) and written by one of {@code depth}
 * threads; the caller blocks only when all buffers are in flight. Memory: {@code depth} buffers
 * the size of the largest write, whatever the file's size. The caller must not write a range
 * again while a write to it may be in flight, and must {@link #drain} before it fsyncs. A write
 * that fails is reported by the next write or drain, after the caller has gone on as if it had
 * succeeded, and by every write and drain after that: a writer that drains before it writes
 * metadata (as {@code Qcow2Writer.flush} does) never writes an L2 entry for a cluster whose data
 * write failed, not even from the flush its close makes after the failure. So the file may be one
 * that is kept: an image a commit or a rebase writes into, where clusters written but never
 * mapped are at most leaked.
 */
final class WriteBehind implements AutoCloseable {
    private final FileChannel ch;
    private final ExecutorService pool;
    private final BlockingQueue<ByteBuffer> free;
    private final Semaphore slots;
    private final int depth;
    private IOException failed;
    /** Whether {@link #failed} was thrown once: later calls throw a copy (no self-suppression). */
    private boolean reported;

    WriteBehind(FileChannel ch, int depth) {
        this.ch = ch;
        this.depth = depth;
        this.free = new ArrayBlockingQueue<>(depth);
        this.slots = new Semaphore(depth);
        this.pool = Executors.newFixedThreadPool(depth, r -> {
            Thread t = new Thread(r, "write-behind");
            t.setDaemon(true);
            return t;
        });
    }

    /** Copies {@code b}'s remaining bytes and writes them at {@code pos} in the background. */
    void write(ByteBuffer b, long pos) throws IOException {
        acquire(1);
        ByteBuffer data;
        try {
            rethrow();
            ByteBuffer copy = free.poll();
            if (copy == null || copy.capacity() < b.remaining()) {
                copy = DirectData.allocateAligned(Math.max(b.remaining(), 1 << 20));
            }
            copy.clear().limit(b.remaining());
            data = copy.put(b).flip();
        } catch (IOException | RuntimeException | Error e) {
            slots.release(); // nothing goes in flight: a failure must not leave drain waiting for a slot
            throw e;
        }
        pool.execute(() -> {
            try {
                Positional.writeFully(ch, data, pos);
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    if (failed == null) {
                        failed = e instanceof IOException io ? io : new IOException(e);
                    }
                }
            } finally {
                free.offer(data);
                slots.release();
            }
        });
    }

    private void acquire(int n) throws IOException {
        try {
            slots.acquire(n);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a write in flight");
        }
    }

    private synchronized void rethrow() throws IOException {
        if (failed != null) {
            if (!reported) {
                reported = true;
                throw failed;
            }
            throw new IOException(failed.getMessage(), failed);
        }
    }

    /** Waits until no write is in flight; rethrows the first that failed, on this and every later call. */
    void drain() throws IOException {
        acquire(depth);
        slots.release(depth);
        rethrow();
    }

    @Override
    public void close() throws IOException {
        try {
            drain();
        } finally {
            pool.shutdown();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
