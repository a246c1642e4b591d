package dev.virtchain.app.backup;

/** {@link UnsupportedDriverTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class UnsupportedDriverJarIT extends UnsupportedDriverTest {
}
