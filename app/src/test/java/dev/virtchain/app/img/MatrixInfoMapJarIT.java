package dev.virtchain.app.img;

/** {@link MatrixInfoMapTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class MatrixInfoMapJarIT extends MatrixInfoMapTest {
}
