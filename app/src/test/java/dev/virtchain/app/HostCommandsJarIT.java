package dev.virtchain.app;

/** {@link HostCommandsTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class HostCommandsJarIT extends HostCommandsTest {
}
