package dev.virtchain.app.backup;

import dev.virtchain.chain.Backup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What a finished backup run did: the backup it recorded, where, how long it took, what to tell the user. */
public record BackupReport(String domain, Path dir, Backup backup, Duration elapsed, List<String> warnings) {
}
