package dev.virtchain.app.boot;

/** {@link BootCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class BootCommandJarIT extends BootCommandTest {
}
