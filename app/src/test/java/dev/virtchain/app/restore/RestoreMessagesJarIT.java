package dev.virtchain.app.restore;

/** {@link RestoreMessagesTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class RestoreMessagesJarIT extends RestoreMessagesTest {
}
