package dev.virtchain.app.restore;

/** {@link RestoreVerifyTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class RestoreVerifyJarIT extends RestoreVerifyTest {
}
