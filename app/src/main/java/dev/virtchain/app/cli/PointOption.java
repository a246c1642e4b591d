package dev.virtchain.app.cli;

import dev.virtchain.chain.PointInTime;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code --at POINT} of restore, verify and boot: a point that cannot be read is a usage error. */
public final class PointOption {
    private PointOption() {
    }

    public static PointInTime parse(CommandSpec spec, String at) {
        try {
            return PointInTime.parse(at);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--at " + at + ": " + e.getMessage());
        }
    }
}
