package dev.virtchain.app.backup;

/** {@link ListCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class ListCommandJarIT extends ListCommandTest {
}
