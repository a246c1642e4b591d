package dev.virtchain.app.prune;

import dev.virtchain.chain.prune.PolicyException;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

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

    @Option(names = "--keep-within", paramLabel = "DURATION", converter = DurationConverter.class,
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

    /**
     * A keep-within duration as the options and the config file write it: {@code 7d}, {@code 36h},
     * {@code 1d12h}, {@code 90m}, {@code 45s}; IllegalArgumentException saying what is expected otherwise.
     */
    public static Duration duration(String value) {
        try {
            return new DurationConverter().convert(value);
        } catch (TypeConversionException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** {@code 7d}, {@code 36h}, {@code 1d12h}, {@code 90m}, {@code 45s}. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern WHOLE = Pattern.compile("(\\d+[dhms])+");
        private static final Pattern PART = Pattern.compile("(\\d+)([dhms])");

        @Override
        public Duration convert(String value) {
            if (!WHOLE.matcher(value).matches()) {
                throw new TypeConversionException("expected a duration such as 7d, 36h, 1d12h, 90m or 45s");
            }
            Duration d = Duration.ZERO;
            Matcher m = PART.matcher(value);
            try {
                while (m.find()) {
                    long n = Long.parseLong(m.group(1));
                    d = d.plus(switch (m.group(2)) {
                        case "d" -> Duration.ofDays(n);
                        case "h" -> Duration.ofHours(n);
                        case "m" -> Duration.ofMinutes(n);
                        default -> Duration.ofSeconds(n);
                    });
                }
            } catch (ArithmeticException | NumberFormatException e) {
                throw new TypeConversionException("too long a duration");
            }
            return d;
        }
    }
}
