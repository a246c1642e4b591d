package dev.virtchain.app.status;

/** {@link StatusCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class StatusCommandJarIT extends StatusCommandTest {
}
