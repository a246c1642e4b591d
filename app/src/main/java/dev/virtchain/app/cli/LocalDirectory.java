package dev.virtchain.app.cli;

import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/** The backup directory of a command that works on local sets only (prune). */
public final class LocalDirectory {
    @Parameters(paramLabel = "DIR", description = BackupDirectory.DESCRIPTION)
    Path dir;

    public Path dir() {
        return dir;
    }
}
