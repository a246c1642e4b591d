package dev.virtchain.app.prune;

/** {@link PrunedSetReadersTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class PrunedSetReadersJarIT extends PrunedSetReadersTest {
}
