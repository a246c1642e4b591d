package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows a running backup job until it ends, showing progress (a redrawn line on a terminal,
 * a line every ten percent otherwise). SIGTERM and Ctrl-C abort the job: the JVM's shutdown
 * hook asks libvirt to abort it and then waits until this run has cleaned up after itself.
 */
final class JobWatcher implements AutoCloseable {
    private static final long POLL_MS = 200;

    private final Hypervisor hv;
    private final String domain;
    private final PrintWriter err;
    private final boolean terminal;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private final Thread hook;

    JobWatcher(Hypervisor hv, String domain, PrintWriter err, boolean terminal) {
        this.hv = hv;
        this.domain = domain;
        this.err = err;
        this.terminal = terminal;
        this.hook = new Thread(this::onSignal, "virtchain-abort");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private void onSignal() {
        interrupted.set(true);
        try {
            hv.abortJob(domain);
        } catch (HypervisorException | RuntimeException e) {
            // the job may have ended already; cleanup still runs
        }
        try {
            cleanedUp.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean interrupted() {
        return interrupted.get();
    }

    /** Waits for the job to end and returns how it ended. */
    JobStats await() throws HypervisorException, InterruptedException {
        long shownTenth = -1;
        long start = System.nanoTime();
        while (true) {
            JobStats s = hv.jobStats(domain);
            if (s.finished()) {
                if (terminal) {
                    err.print("\r\033[K");
                    err.flush();
                }
                return s;
            }
            if (s.total() > 0) {
                long pct = s.processed() * 100 / s.total();
                if (terminal) {
                    err.printf("\r  backup of %s: %3d%% (%s of %s)", domain, pct, mib(s.processed()), mib(s.total()));
                    err.flush();
                } else if (pct / 10 != shownTenth) {
                    shownTenth = pct / 10;
                    err.printf("backup of %s: %d%% (%s of %s) after %ds%n", domain, pct, mib(s.processed()),
                            mib(s.total()), Duration.ofNanos(System.nanoTime() - start).toSeconds());
                    err.flush();
                }
            }
            Thread.sleep(POLL_MS);
        }
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    /** Ends signal handling; a signal waiting on this run may now let the JVM exit. */
    @Override
    public void close() {
        cleanedUp.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running and waits for cleanedUp
        }
    }
}
