package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.CheckRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * This module's tests follow the rule that an image a test writes is judged by qemu-img check
 * too. A plain unit test: it reads the sources and needs neither libvirt nor qemu.
 */
class ImagesAreCheckedTest {
    /** Tests that make an image no check can judge, and why. */
    private static final Map<String, String> EXEMPT = Map.of(
            "RestoreBootIT#stopDestroysARunningBootAndDeletesItsScratchDirectory",
            "its overlay is in use by the running guest until boot --stop deletes it; "
                    + "aBootedPointInTimeShowsItsDataAndWritesOnlyIntoItsScratchDirectory checks one boot made",
            "GuestFreezeIT#aBackupKilledWhileTheGuestIsFrozenLeavesItThawedWithinSeconds",
            "the backup is killed before its job begins: no image is finished, only targets a later run deletes",
            "GuestFreezeIT#aJobThatFailsToBeginThawsTheGuestAtOnce",
            "the job fails to begin (its targets were taken away): the run writes no image");

    @Test
    void everyTestThatWritesAnImageAsksQemuImgCheck() {
        assertEquals(List.of(), CheckRule.unchecked(Path.of("src/test/java"), EXEMPT),
                "tests that make an image through our code and never ask Qemu.assertClean (or qemu-img check)");
    }
}
