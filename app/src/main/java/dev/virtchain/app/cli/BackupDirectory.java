package dev.virtchain.app.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Parameters;

/**
 * The backup directory, the one parameter of list, restore, verify and prune (boot's is optional:
 * see BootCommand); list, restore and verify also take a remote set's {@code s3://} address there.
 */
public final class BackupDirectory {
    /** What the parameter is, in every command's help. */
    public static final String DESCRIPTION = "The backup directory.";
    /** The same, for a command that reads a remote set too. */
    public static final String OR_REMOTE = "The backup directory. Or s3://BUCKET/PREFIX: a pushed set.";

    @Parameters(paramLabel = "DIR", description = OR_REMOTE)
    String dir;

    public Path dir() {
        return Path.of(dir);
    }

    /** The {@code s3://} address given instead of a directory, if one was. */
    public Optional<String> remote() {
        return dir.startsWith("s3://") ? Optional.of(dir) : Optional.empty();
    }
}
