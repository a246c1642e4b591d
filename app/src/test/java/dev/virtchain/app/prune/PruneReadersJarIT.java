package dev.virtchain.app.prune;

/** {@link PruneReadersTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class PruneReadersJarIT extends PruneReadersTest {
}
