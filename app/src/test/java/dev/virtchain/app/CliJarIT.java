package dev.virtchain.app;

/** {@link CliTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class CliJarIT extends CliTest {
}
