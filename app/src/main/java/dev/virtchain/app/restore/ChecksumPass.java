package dev.virtchain.app.restore;

import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Checks files of a backup set against the manifest's checksums on a thread of its own, in one
 * sequential pass, so a restore can flatten while the pass runs and commit its output only once
 * the pass found every file intact.
 */
final class ChecksumPass {
    private final FutureTask<Void> task;

    private ChecksumPass(FutureTask<Void> task) {
        this.task = task;
    }

    /** Starts checking {@code files} of {@code dir}, in order. */
    static ChecksumPass start(Path dir, List<DiskBackup> files) {
        FutureTask<Void> task = new FutureTask<>(() -> {
            for (DiskBackup d : files) {
                ChainVerifier.checksum(dir, d);
            }
            return null;
        });
        Thread t = new Thread(task, "checksum-pass");
        t.setDaemon(true);
        t.start();
        return new ChecksumPass(task);
    }

    /** Waits for the pass; throws what the first bad file threw. */
    void await() throws IOException, ChainException {
        try {
            task.get();
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while checking checksums", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof ChainException ce) {
                throw ce;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        }
    }
}
