package dev.virtchain.app.restore;

/** {@link RestoreDamageTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class RestoreDamageJarIT extends RestoreDamageTest {
}
