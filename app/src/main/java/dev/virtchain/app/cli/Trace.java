package dev.virtchain.app.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Where a run's time goes, for developers: with {@code VIRTCHAIN_TRACE=1} in the environment,
 * each {@link #mark} prints {@code trace: +1.234s name} to stderr, measured from the start of the
 * JVM, so the first mark also shows the JVM's start-up. Without it, {@link #mark} does nothing.
 */
public final class Trace {
    private static final boolean ON = "1".equals(System.getenv("VIRTCHAIN_TRACE"));
    /** The JVM's own start time (ProcessHandle's start instant is only as precise as a second). */
    private static final Instant START = ON
            ? Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime())
            : null;
    private static final PrintStream ERR = System.err;

    private Trace() {
    }

    /** Notes that {@code what} has just been reached. */
    public static void mark(String what) {
        if (ON) {
            long ms = Duration.between(START, Instant.now()).toMillis();
            ERR.printf("trace: +%d.%03ds %s%n", ms / 1000, ms % 1000, what);
        }
    }
}
