package dev.virtchain.app.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Where a run's time goes, for developers: with {@code VIRTCHAIN_TRACE=1} in the environment,
 * each {@link #mark} prints {@code trace: +1.234s name} to stderr, measured from the start of the
 * JVM, so the first mark also shows the JVM's start-up, and beside it the CPU time the process has
 * used so far (all its threads: the JIT compilers and the garbage collector too), which a loaded
 * machine stretches less than the wall time. Without it, {@link #mark} does nothing.
 */
public final class Trace {
    private static final boolean ON = "1".equals(System.getenv("VIRTCHAIN_TRACE"));
    /** The JVM's own start time (ProcessHandle's start instant is only as precise as a second). */
    private static final Instant START = ON
            ? Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime())
            : null;
    private static final PrintStream ERR = System.err;
    private static final java.lang.management.OperatingSystemMXBean OS = ON
            ? java.lang.management.ManagementFactory.getOperatingSystemMXBean()
            : null;

    private Trace() {
    }

    /** Notes that {@code what} has just been reached. */
    public static void mark(String what) {
        if (ON) {
            long ms = Duration.between(START, Instant.now()).toMillis();
            long cpu = OS instanceof com.sun.management.OperatingSystemMXBean o ? o.getProcessCpuTime() / 1_000_000 : -1;
            ERR.printf("trace: +%d.%03ds (cpu %d.%03ds) %s%n", ms / 1000, ms % 1000, cpu / 1000, cpu % 1000, what);
        }
    }
}
