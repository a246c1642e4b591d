package dev.virtchain.app.prune;

/** {@link InterruptedPruneTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class InterruptedPruneJarIT extends InterruptedPruneTest {
}
