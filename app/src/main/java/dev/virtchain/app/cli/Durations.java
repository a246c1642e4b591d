package dev.virtchain.app.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line, as people write them: {@code 26h}, {@code 1d12h}, {@code 90m},
 * {@code 45s}, or ISO-8601 ({@code PT26H}). One rule for every option that takes one (prune's
 * {@code --keep-within}, status's {@code --max-age}).
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([dhms])");

    private Durations() {
    }

    /** {@code 2d3h4m5s} (any of the parts, in that order, at least one), or an ISO-8601 duration. */
    public static Duration parse(String text) {
        if (text.startsWith("P") || text.startsWith("p")) {
            try {
                return positive(text, Duration.parse(text));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(text + ": not a duration (e.g. 26h, 1d12h, 90m, PT26H)");
            }
        }
        Matcher m = PART.matcher(text);
        Duration d = Duration.ZERO;
        int at = 0;
        String units = "dhms";
        int last = -1;
        while (at < text.length() && m.find(at) && m.start() == at) {
            int unit = units.indexOf(m.group(2));
            if (unit <= last) {
                throw new IllegalArgumentException(text + ": units in the order d, h, m, s, each once (e.g. 1d12h)");
            }
            last = unit;
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
            });
            at = m.end();
        }
        if (at == 0 || at != text.length()) {
            throw new IllegalArgumentException(text + ": not a duration (e.g. 26h, 1d12h, 90m, PT26H)");
        }
        return positive(text, d);
    }

    private static Duration positive(String text, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(text + ": a duration above zero is needed");
        }
        return d;
    }

    /** picocli's converter for a duration option. */
    public static final class Converter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new TypeConversionException(e instanceof ArithmeticException ? value + ": too long a duration"
                        : e.getMessage());
            }
        }
    }
}
