package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Guards the part of a run that leaves things behind (targets, a job, a checkpoint) and follows
 * the backup job until it ends, showing progress (a redrawn line on a terminal, a line every ten
 * percent otherwise).
 *
 * <p>SIGTERM and Ctrl-C run the JVM's shutdown hook: it marks the run interrupted, aborts the job
 * if one began (or the run aborts it itself right after it begins), and then holds the JVM until
 * the run has cleaned up and its one line was reported ({@link BackupInterruptedException#reported}),
 * or until {@link #close} when the run had nothing left to clean.
 */
final class JobWatcher implements AutoCloseable {
    /**
     * Job polls where the connection sends no job-completed event: every 20 ms at first, each wait
     * half as long again as the last, up to every 200 ms. An inc of a few hundred MiB ends within a second, and a fixed 200 ms poll cost it
     * 100 ms on average; a long job still asks only five times a second.
     */
    private static final long FIRST_POLL_MS = 20;
    private static final long MAX_POLL_MS = 200;
    /**
     * Polls when libvirt's job-completed event ends the wait: only for the progress line (and
     * writeback of the targets), so a steady 200 ms; the event, not a poll, finds the end.
     */
    private static final long EVENT_POLL_MS = 200;
    /** How long a signal waits for the cleanup before the JVM exits anyway. */
    private static final long HOLD_SECONDS = 90;

    private final Hypervisor hv;
    private final String domain;
    private final PrintWriter err;
    private final boolean terminal;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final AtomicBoolean begun = new AtomicBoolean();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean heldForReport;
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
        if (begun.get()) {
            abortQuietly();
        }
        try {
            released.await(HOLD_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void abortQuietly() {
        try {
            hv.abortJob(domain);
        } catch (HypervisorException | RuntimeException e) {
            // the job may have ended already, or the other thread aborted it first
        }
    }

    boolean interrupted() {
        return interrupted.get();
    }

    /** Says the job began; aborts it at once when a signal came before (the hook could not). */
    void begun() {
        begun.set(true);
        if (interrupted.get()) {
            abortQuietly();
        }
    }

    /** Throws the interruption when a signal came: the run must not go on (nor commit). */
    void checkInterrupted() throws BackupInterruptedException {
        if (interrupted.get()) {
            throw interruption();
        }
    }

    /**
     * The exception that reports this run's interruption. The shutdown hook keeps holding the JVM
     * after {@link #close} until {@link BackupInterruptedException#reported} is called.
     */
    BackupInterruptedException interruption() {
        heldForReport = true;
        return new BackupInterruptedException("backup of " + domain
                + " was interrupted by a signal and aborted; nothing was recorded", released::countDown);
    }

    /**
     * Waits for the job to end and returns how it ended; runs {@code tick} after every poll of a
     * job still running. Progress shows from the first poll on (a job of a few MiB may end before
     * libvirt knows its size: then the line says it started), and a job that succeeded ends on
     * its 100% line; on a terminal it is one line, redrawn.
     *
     * <p>libvirt's job-completed event wakes the wait the moment the job ends; the polls are for
     * the progress line, and the fallback where the connection sends no such event.
     */
    JobStats await(Runnable tick) throws HypervisorException, InterruptedException {
        Meter meter = new Meter();
        Semaphore ended = new Semaphore(0);
        AutoCloseable events = hv.onJobEnd(domain, ended::release);
        try {
            long poll = events != null ? EVENT_POLL_MS : FIRST_POLL_MS;
            while (true) {
                JobStats s = hv.jobStats(domain);
                if (s.finished()) {
                    meter.end(s.succeeded() && !interrupted.get(), s.total());
                    return s;
                }
                if (!interrupted.get()) {
                    meter.show(s.processed(), s.total());
                }
                tick.run();
                ended.tryAcquire(poll, TimeUnit.MILLISECONDS);
                poll = events != null ? EVENT_POLL_MS : Math.min(MAX_POLL_MS, poll * 3 / 2);
            }
        } finally {
            if (events != null) {
                try {
                    events.close();
                } catch (Exception e) {
                    // the connection is going away: so is the registration
                }
            }
        }
    }

    /** The progress of one job on stderr: a redrawn line on a terminal, else a line per tenth. */
    private final class Meter {
        private final long start = System.nanoTime();
        private long shownTenth = -2; // -1: "started" was shown
        private long total;
        private boolean drawn;

        void show(long processed, long totalNow) {
            if (totalNow > 0) {
                total = totalNow;
            }
            long pct = total > 0 ? Math.min(100, processed * 100 / total) : -1;
            if (terminal) {
                err.print("\r  " + line(pct, processed) + "\033[K");
                drawn = true;
            } else if (pct / 10 != shownTenth && !(pct < 0 && shownTenth >= -1)) {
                shownTenth = pct < 0 ? -1 : pct / 10;
                err.println(line(pct, processed) + " after " + Duration.ofNanos(System.nanoTime() - start).toSeconds()
                        + "s");
            }
            err.flush();
        }

        void end(boolean succeeded, long totalAtEnd) {
            if (succeeded && !terminal && shownTenth == 10 && totalAtEnd <= total) {
                err.flush(); // the last poll showed 100% already
            } else if (succeeded) {
                total = Math.max(total, totalAtEnd);
                String last = line(100, total);
                if (terminal) {
                    err.println("\r  " + last + "\033[K");
                } else {
                    err.println(last + " after " + Duration.ofNanos(System.nanoTime() - start).toSeconds() + "s");
                }
            } else if (drawn) {
                err.print("\r\033[K");
            }
            err.flush();
        }

        private String line(long pct, long processed) {
            return pct < 0 ? "backup of " + domain + ": started"
                    : String.format(terminal ? "backup of %s: %3d%% (%s of %s)" : "backup of %s: %d%% (%s of %s)",
                            domain, pct, mib(processed), mib(total));
        }
    }

    /**
     * Aborts the domain's job and waits up to {@code patience} for it to end, asking every tenth of
     * a second; returns whether it ended.
     */
    static boolean abortAndWait(Hypervisor hv, String domain, Duration patience)
            throws HypervisorException, InterruptedException {
        hv.abortJob(domain);
        long deadline = System.nanoTime() + patience.toNanos();
        while (!hv.jobStats(domain).finished()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    /**
     * Ends signal handling once the run has finished or cleaned up. A signal waiting on this run
     * may now let the JVM exit, unless the run's interruption is still to be reported.
     */
    @Override
    public void close() {
        if (!heldForReport) {
            released.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running and waits for released
        }
    }
}
