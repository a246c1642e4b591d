package dev.virtchain.app.prune;

import dev.virtchain.app.cli.Durations;
import dev.virtchain.chain.prune.PolicyException;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The keep rules and {@code --wait}, declared once for {@code prune} and {@code backup --keep-*}
 * (a picocli mixin): both prune through the same {@link Prune#run}.
 */
public final class RetentionOptions {
    @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest backups.")
    int keepLast;

    @Option(names = "--keep-hourly", paramLabel = "N", description = "Keep the newest backup of each of N hours.")
    int keepHourly;

    @Option(names = "--keep-daily", paramLabel = "N", description = "Keep the newest backup of each of N days.")
    int keepDaily;

    @Option(names = "--keep-weekly", paramLabel = "N", description = "Keep the newest backup of each of N ISO weeks.")
    int keepWeekly;

    @Option(names = "--keep-monthly", paramLabel = "N", description = "Keep the newest backup of each of N months.")
    int keepMonthly;

    @Option(names = "--keep-yearly", paramLabel = "N", description = "Keep the newest backup of each of N years.")
    int keepYearly;

    @Option(names = "--keep-within", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Keep every backup taken less than DURATION before the newest: a number and a unit, "
                    + "d, h, m or s, or several (1d12h).")
    Duration keepWithin;

    @Option(names = "--wait", description = "When a restore, verify or boot of DIR reads its files, wait for it to "
            + "end before pruning (a boot ends with 'virtchain boot --stop NAME'), instead of failing at once.")
    boolean await;

    /** The policy the options give; no rule at all is a usage error. */
    public RetentionPolicy policy() throws PolicyException {
        return RetentionPolicy.of(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin);
    }

    /** Whether any keep rule was given (backup prunes only then). */
    public boolean any() {
        return keepLast != 0 || keepHourly != 0 || keepDaily != 0 || keepWeekly != 0 || keepMonthly != 0
                || keepYearly != 0 || keepWithin != null && !keepWithin.isZero();
    }

    /** {@code --wait}. */
    public boolean await() {
        return await;
    }
}
