package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.CheckRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** This module's tests follow the rule that an image a test writes is judged by qemu-img check too. */
class ImagesAreCheckedTest {
    /**
     * Known gaps, each with what goes unchecked. RestoreVerifyTest was being changed elsewhere
     * when this guard came, so its two restores into a qcow2 file were reported rather than fixed.
     */
    private static final Map<String, String> KNOWN_GAPS = Map.of(
            "RestoreVerifyTest#restoreBringsTheKeptKernelAndInitrdAndPointsTheXmlAtThem",
            "the vda.qcow2 restored with --force is compared with nothing and not checked",
            "RestoreVerifyTest#restoreNeverOverwritesWithoutForceNorWritesIntoABackupDirectory",
            "the vda.qcow2 restored, then restored again with --force, is not checked");

    @Test
    void everyTestThatWritesAnImageAsksQemuImgCheck() {
        assertEquals(List.of(), CheckRule.unchecked(Path.of("src/test/java"), KNOWN_GAPS),
                "tests that make an image through our code and never ask Qemu.assertClean (or qemu-img check)");
    }
}
