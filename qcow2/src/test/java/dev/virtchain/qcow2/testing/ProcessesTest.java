package dev.virtchain.qcow2.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {
    @TempDir
    Path dir;

    @Test
    void aToolThatHangsFailsTheTestAtItsTimeout() {
        long start = System.nanoTime();
        AssertionError e = assertThrows(AssertionError.class,
                () -> Processes.run(dir, Duration.ofSeconds(1), "-", List.of("sleep", "30")));
        assertTrue(e.getMessage().contains("sleep did not finish within 1 s"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "ended at the timeout, not at the end");
    }

    @Test
    void aToolFillingBothOutputsIsNotStalledAndItsEnvironmentIsPassed() {
        // 1 MiB to stderr before anything to stdout: more than a pipe holds while nobody reads it.
        Processes.Result r = Processes.run(dir, Duration.ofMinutes(1), "-", List.of("sh", "-c",
                "yes e | head -c 1048576 >&2; echo \"$VC_TEST_VAR\"; exit 3"),
                Map.of("VC_TEST_VAR", "passed"));
        assertEquals(3, r.exitCode());
        assertEquals(1 << 20, r.stderr().length());
        assertEquals("passed\n", r.stdout());
    }

    @Test
    void aMissingToolSaysHowToInstallIt() {
        AssertionError e = assertThrows(AssertionError.class, () -> Processes.run(dir, Duration.ofSeconds(5),
                "install it with apt-get", List.of("no-such-tool-virtchain")));
        assertTrue(e.getMessage().startsWith("no-such-tool-virtchain cannot run ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("; install it with apt-get"), e.getMessage());
    }
}
