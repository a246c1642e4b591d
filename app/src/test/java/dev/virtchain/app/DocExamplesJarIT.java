package dev.virtchain.app;

/** {@link DocExamplesTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class DocExamplesJarIT extends DocExamplesTest {
}
