package dev.virtchain.app.img;

import java.io.PrintWriter;
import java.util.function.LongConsumer;

/** qemu-img's {@code -p} progress line, "    (42.00/100%)", redrawn in place. */
final class ProgressMeter {
    private ProgressMeter() {
    }

    static LongConsumer of(boolean enabled, PrintWriter out, long total) {
        if (!enabled) {
            return done -> { };
        }
        long[] shown = {-1};
        return done -> {
            long hundredths = total == 0 ? 10000 : Math.min(10000, done * 10000 / total);
            if (hundredths != shown[0]) {
                shown[0] = hundredths;
                out.printf("    (%d.%02d/100%%)\r", hundredths / 100, hundredths % 100);
                out.flush();
            }
        };
    }

    static void finish(boolean enabled, PrintWriter out) {
        if (enabled) {
            out.println();
            out.flush();
        }
    }
}
