package dev.virtchain.app.prune;

/** {@link BackupKeepTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class BackupKeepJarIT extends BackupKeepTest {
}
