package dev.virtchain.app;

/** {@link UserFileNamesTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class UserFileNamesJarIT extends UserFileNamesTest {
}
