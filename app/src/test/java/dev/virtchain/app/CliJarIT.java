package dev.virtchain.app;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;

/** The CLI tests again, against the packaged jar in a separate JVM, as users run it. */
class CliJarIT extends CliTest {
    private static final Path JAR = Path.of("target", "virtchain.jar").toAbsolutePath();

    @BeforeAll
    static void jarIsBuilt() {
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError(JAR + " is missing: run through 'mvn verify', which packages it first");
        }
    }

    @Override
    CliDriver.Result run(String... args) throws Exception {
        return CliDriver.runJar(JAR, dir, args);
    }
}
