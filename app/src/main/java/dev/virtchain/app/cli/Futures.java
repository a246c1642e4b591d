package dev.virtchain.app.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for a task of a pool whose failures are I/O failures of the run. */
public final class Futures {
    private Futures() {
    }

    /**
     * The task's result; its IOException, RuntimeException or Error as thrown, any other cause as
     * an IOException; an interrupt keeps the thread's flag and is an InterruptedIOException saying
     * {@code interrupted} (what was being waited for).
     */
    public static <T> T await(Future<T> f, String interrupted) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(interrupted);
        }
    }
}
