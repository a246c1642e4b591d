package dev.virtchain.qcow2.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the rule's reading of test sources counts as making an image, and as a check. */
class CheckRuleTest {
    @TempDir
    Path dir;

    private List<String> unchecked(String body) throws IOException {
        Files.writeString(dir.resolve("SomeTest.java"), """
                class SomeTest {
                    /** A helper that flattens. */
                    private Path flatten(String format) throws IOException {
                        Flattener.flatten(src, out, Flattener.Options.qcow2().withFormat(format), Progress.NONE);
                        return out;
                    }

                    private void assertGood(Path out) {
                        Qemu.assertClean(out); // checks
                    }

                    @ParameterizedTest(name = "{0}")
                    @ValueSource(strings = {"a", "b"})
                    void aTest(String s) throws Exception {
                %s
                    }
                }
                """.formatted(body));
        return CheckRule.unchecked(dir, Map.of());
    }

    @Test
    void aTestThatWritesAndNeverChecksIsReported() throws IOException {
        assertEquals(List.of("SomeTest.java:14 aTest"), unchecked("Committer.commit(top, false, Progress.NONE);"));
        assertEquals(List.of("SomeTest.java:14 aTest"), unchecked("Path out = flatten(\"qcow2\");"));
        assertEquals(List.of("SomeTest.java:14 aTest"), unchecked("""
                CliDriver.Result r = CliDriver.run("img", "rebase", "-b", "", top);
                assertEquals(0, r.exitCode());
                // Qemu.assertClean(top) in a comment is no check"""));
    }

    @Test
    void aCheckInTheTestOrInAHelperItCallsSatisfiesIt() throws IOException {
        assertEquals(List.of(), unchecked("Rebaser.rebase(top, \"\", null, false, Progress.NONE);\nQemu.assertClean(top);"));
        assertEquals(List.of(), unchecked("assertGood(flatten(\"qcow2\"));"));
        assertEquals(List.of(), unchecked("CliDriver.run(\"img\", \"create\", p);\nQemu.img(dir, \"check\", p);"));
    }

    @Test
    void whatCannotLeaveAQcow2ImageIsNotCounted() throws IOException {
        assertEquals(List.of(), unchecked("assertThrows(ImageException.class, () -> flatten(\"qcow2\"));"));
        assertEquals(List.of(), unchecked("flatten(\"raw\");"));
        assertEquals(List.of(), unchecked("CliDriver.run(\"img\", \"flatten\", \"-O\", \"raw\", a, b);"));
        assertEquals(List.of(), unchecked("CliDriver.run(\"img\", \"create\", \"--help\");"));
        assertEquals(List.of(), unchecked("""
                CliDriver.Result r = CliDriver.run("img", "create", "-q", p, "12Q");
                assertEquals(2, r.exitCode());"""));
    }

    @Test
    void helpersAndExemptedTestsAreNotReported() throws IOException {
        unchecked("");
        assertEquals(List.of(), CheckRule.unchecked(dir, Map.of()), "the flattening helper is no test");
        unchecked("flatten(\"qcow2\");");
        assertEquals(List.of(), CheckRule.unchecked(dir, Map.of("SomeTest#aTest", "why")));
    }
}
