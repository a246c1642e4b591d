package dev.virtchain.app.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every CLI test class runs twice, in-process and against the packaged jar: it runs the CLI
 * through {@link CliDriver#forThisRun()}, and a {@code JarIT} subclass beside it is what failsafe
 * runs with {@code -Dvirtchain.cli=jar}. No test runs {@code Main.run} on its own.
 */
class CliJarCoverageTest {
    private static final Path TESTS = Path.of("src", "test", "java");

    @Test
    void everyCliTestClassHasAJarItSubclassAndNoTestBypassesTheDriver() throws IOException {
        List<String> missing = new ArrayList<>();
        List<String> bypassing = new ArrayList<>();
        try (Stream<Path> all = Files.walk(TESTS)) {
            for (Path f : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (f.startsWith(TESTS.resolve("dev/virtchain/app/testing"))) {
                    continue; // the driver itself
                }
                String name = f.getFileName().toString();
                String text = Files.readString(f);
                if (name.endsWith("Test.java") && text.contains("CliDriver.forThisRun()")) {
                    String base = name.substring(0, name.length() - ".java".length());
                    Path it = f.resolveSibling(base.substring(0, base.length() - "Test".length()) + "JarIT.java");
                    if (!Files.isRegularFile(it) || !Files.readString(it).contains(" extends " + base + " ")) {
                        missing.add(TESTS.relativize(it).toString());
                    }
                }
                if (text.contains("Main.run(")) {
                    bypassing.add(TESTS.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), missing, "CLI test classes without a JarIT subclass");
        assertEquals(List.of(), bypassing, "tests that run Main.run themselves instead of through CliDriver");
    }
}
