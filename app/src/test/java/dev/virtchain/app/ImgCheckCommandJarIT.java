package dev.virtchain.app;

/** {@link ImgCheckCommandTest} against the packaged jar in a separate JVM, as users run it (see CliDriver). */
class ImgCheckCommandJarIT extends ImgCheckCommandTest {
}
