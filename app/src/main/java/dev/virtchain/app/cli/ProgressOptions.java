package dev.virtchain.app.cli;

import java.io.PrintWriter;
import dev.virtchain.qcow2.Progress;
import picocli.CommandLine.Option;

/** qemu-img's {@code -p} (a progress line, "    (42.00/100%)", redrawn in place) and {@code -q}. */
public final class ProgressOptions {
    @Option(names = "-p", description = "Show progress.")
    boolean progress;

    @Option(names = "-q", description = "Quiet: print nothing on success.")
    boolean quiet;

    private boolean drawn;

    public boolean quiet() {
        return quiet;
    }

    /** A progress sink; silent unless -p without -q. */
    public Progress meter(PrintWriter out) {
        return meter(out, false);
    }

    /** Like {@link #meter(PrintWriter)}, but on by default when stdout is a terminal (long work a user watches). */
    public Progress meterOnTerminal(PrintWriter out) {
        return meter(out, System.console() != null);
    }

    private Progress meter(PrintWriter out, boolean byDefault) {
        if (!(progress || byDefault) || quiet) {
            return Progress.NONE;
        }
        long[] shown = {-1};
        return (done, total) -> {
            long hundredths = total == 0 ? 10000 : Math.min(10000, done * 10000 / total);
            if (hundredths != shown[0]) {
                shown[0] = hundredths;
                out.printf("    (%d.%02d/100%%)\r", hundredths / 100, hundredths % 100);
                drawn = true;
                out.flush();
            }
        };
    }

    /** Ends the progress line, if one was drawn. */
    public void finish(PrintWriter out) {
        if (drawn) {
            drawn = false;
            out.println();
            out.flush();
        }
    }
}
