package dev.virtchain.app.cli;

import dev.virtchain.chain.PointInTime;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --at POINT} of restore, verify and boot. A point that cannot be read is a usage error.
 * What no {@code --at} means is the command's: the latest backup ({@link #latestByDefault}), or
 * something else that the help names ({@link #absentMeans}: verify checks every backup).
 */
public final class PointOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    // The field's first value is the default the help shows.
    @Option(names = "--at", paramLabel = "POINT",
            description = "A point in time: a backup seq, a checkpoint name, an ISO time (the newest backup at or "
                    + "before it) or latest (default: ${DEFAULT-VALUE}).")
    String at;

    private final boolean latestWhenAbsent;

    private PointOption(String shownDefault, boolean latestWhenAbsent) {
        this.at = shownDefault;
        this.latestWhenAbsent = latestWhenAbsent;
    }

    /** Without --at, the latest backup. */
    public static PointOption latestByDefault() {
        return new PointOption("latest", true);
    }

    /** Without --at, what {@code meaning} says; {@link #point} is then no answer: ask {@link #given} first. */
    public static PointOption absentMeans(String meaning) {
        return new PointOption(meaning, false);
    }

    /** Whether --at was given. */
    public boolean given() {
        return mixee.commandLine().getParseResult().hasMatchedOption("--at");
    }

    /** The point in time asked for; a usage error when it is none. */
    public PointInTime point() {
        if (!given() && !latestWhenAbsent) {
            throw new IllegalStateException("no --at, which means " + at);
        }
        try {
            return PointInTime.parse(at);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), "--at " + at + ": " + e.getMessage());
        }
    }
}
