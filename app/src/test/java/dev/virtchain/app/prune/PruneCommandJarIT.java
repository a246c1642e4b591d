package dev.virtchain.app.prune;

/** {@link PruneCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class PruneCommandJarIT extends PruneCommandTest {
}
