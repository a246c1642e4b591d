package dev.virtchain.app.cli;

import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/** The backup directory, the one parameter of list, restore and verify (boot's is optional: see BootCommand). */
public final class BackupDirectory {
    /** What the parameter is, in every command's help. */
    public static final String DESCRIPTION = "The backup directory.";

    @Parameters(paramLabel = "DIR", description = DESCRIPTION)
    Path dir;

    public Path dir() {
        return dir;
    }
}
