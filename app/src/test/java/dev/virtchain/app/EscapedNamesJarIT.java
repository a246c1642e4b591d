package dev.virtchain.app;

/** {@link EscapedNamesTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class EscapedNamesJarIT extends EscapedNamesTest {
}
