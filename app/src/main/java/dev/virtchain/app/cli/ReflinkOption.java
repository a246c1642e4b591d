package dev.virtchain.app.cli;

import picocli.CommandLine.Option;

/** {@code --no-reflink}: copy every byte even where the output could share the chain's extents. */
public final class ReflinkOption {
    @Option(names = "--no-reflink",
            description = "Copy the data even where the output could share extents with the chain's files "
                    + "(XFS with reflink, btrfs): the output then takes its own disk space at once.")
    boolean noReflink;

    /** Whether the output may share extents with the chain. */
    public boolean enabled() {
        return !noReflink;
    }
}
