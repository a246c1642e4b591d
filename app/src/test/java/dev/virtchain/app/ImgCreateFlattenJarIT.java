package dev.virtchain.app;

/** {@link ImgCreateFlattenTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class ImgCreateFlattenJarIT extends ImgCreateFlattenTest {
}
