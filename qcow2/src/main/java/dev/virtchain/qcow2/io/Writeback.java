package dev.virtchain.qcow2.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Keeps a long write's output moving from the page cache to the disk while the writing goes on.
 * Linux starts writing dirty pages back only past dirty_background_ratio (gigabytes on a large
 * machine), so without this a flatten leaves nearly all its output to its final flush and the
 * disk's write side idles while the chain is read. Every {@code every} bytes a background
 * thread starts writeback of the file ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which
 * does not wait for it). Writing data back early only makes it durable sooner, so it never
 * disturbs the writer's crash ordering, whose forces stay where they are. A forcing thread
 * ({@code fdatasync}) was measured too: it stalled the writer's own writes and was slower
 * than no writeback at all.
 */
public final class Writeback implements AutoCloseable {
    private final Path file;
    private final long every;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "writeback");
        t.setDaemon(true);
        return t;
    });
    private long sinceLast;
    private Future<?> running;

    public Writeback(Path file, long every) {
        this.file = file;
        this.every = every;
    }

    /** Counts {@code bytes} more written; starts writeback when enough piled up and none is being started. */
    public void wrote(long bytes) {
        sinceLast += bytes;
        if (sinceLast < every || (running != null && !running.isDone())) {
            return;
        }
        sinceLast = 0;
        running = thread.submit(() -> NativeFiles.startWriteback(file));
    }

    /** Waits for a writeback start still under way and stops the thread. */
    @Override
    public void close() throws IOException {
        thread.shutdown();
        try {
            if (running != null) {
                running.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for writeback");
        } catch (ExecutionException e) {
            throw new IOException("starting writeback of " + file + " failed", e.getCause());
        }
    }
}
