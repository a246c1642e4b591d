package dev.virtchain.app;

/** {@link ImgCompareCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class ImgCompareCommandJarIT extends ImgCompareCommandTest {
}
