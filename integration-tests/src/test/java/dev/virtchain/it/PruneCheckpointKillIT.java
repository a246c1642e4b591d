package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain prune} (the packaged jar) SIGKILLed around each of its real checkpoint deletions,
 * through a real libvirtd: after its intent is journaled, after libvirt deleted the checkpoint but
 * before its saved XML is changed, and after the step but before the journal says so. Each kill is
 * followed by another prune killed at the next moment, which first finishes the interrupted one, so
 * every step is run again after a death at each of its moments, against a libvirt that has already
 * done its part. (The line saying that an interrupted prune was finished comes after the finishing,
 * so only the last, unkilled prune prints it.) {@code PruneKillIT} kills at every moment of every step too, but on libvirt's test
 * driver, where the checkpoints do not exist.
 *
 * <p>Judged at the end: libvirt's checkpoints, the saved XML and the bitmaps in the guest's disk are
 * those of the kept points only (no bitmap of a dropped point left for qemu to update on every write),
 * the directory is what {@link PruneYear#judgeDirectory} asks of a pruned set, and the next inc and
 * diff hold exactly the clusters written since the newest backup and since the chain's new base.
 */
class PruneCheckpointKillIT {
    private static final String KILL_ENV = "VIRTCHAIN_TEST_PRUNE_KILL";
    private static final List<String> MOMENTS = List.of("AFTER_INTENT", "MID_CHECKPOINT", "AFTER_STEP");

    @Test
    void aPruneKilledAroundEachRealCheckpointDeletionLeavesLibvirtTheDirectoryAndTheDiskAgreeing(
            @TempDir Path dir, @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        try (LibvirtDaemon daemon = LibvirtDaemon.start(dir.resolve("daemon"))) {
            Hypervisor hv = daemon.hypervisor();
            TestGuest g = daemon.startGuest(dir, "vc-ckill", 1, PruneYear.SIZE);
            PruneYear y = new PruneYear(hv, g, work);
            List<Level> levels = List.of(Level.FULL, Level.INC, Level.INC, Level.INC, Level.INC);
            for (int day = 0; day < levels.size(); day++) {
                y.backupNight(day, day, levels.get(day), "backup " + day);
            }
            String set = ManifestFile.load(y.dir()).setId();
            CliDriver jar = CliDriver.jar();
            String[] prune = {"prune", y.dir().toString(), "--keep-last", "2", "-c", LibvirtDaemon.URI};

            JsonNode plan = jar.ok(concat(prune, "--dry-run", "--json")).json();
            List<Integer> checkpointSteps = new ArrayList<>();
            for (int i = 0; i < plan.get("steps").size(); i++) {
                if (plan.get("steps").get(i).get("step").asText().equals("delete-checkpoint")) {
                    checkpointSteps.add(i);
                }
            }
            assertEquals(3, checkpointSteps.size(), "the checkpoints of backups 0, 1 and 2 go: " + plan);

            int kills = 0;
            for (int step : checkpointSteps) {
                for (String moment : MOMENTS) {
                    CliDriver.Result r = jar.under("env", KILL_ENV + "=" + step + ":" + moment).run(prune);
                    assertEquals(137, r.exitCode(), "killed at step " + step + " " + moment + ": " + r);
                    assertNotNull(ManifestFile.load(y.dir()).journal(), "a prune is under way after the kill: " + r);
                    kills++;
                }
            }
            CliDriver.Result last = jar.ok(prune);
            assertTrue(last.stderr().contains("virtchain: finishing an interrupted prune of " + y.dir()), last.toString());

            y.judgeDirectory("after " + kills + " killed prunes", Set.of(3, 4), true);
            Set<String> kept = Set.of(Naming.checkpointName(set, 3), Naming.checkpointName(set, 4));
            assertEquals(kept, new TreeSet<>(hv.checkpointNames(g.name())), "libvirt's checkpoints");
            assertEquals(kept, y.savedCheckpoints(), "the saved checkpoint XML");
            Set<String> bitmaps = new Virsh(LibvirtDaemon.URI).liveBitmaps(g.name());
            assertTrue(bitmaps.containsAll(kept), "the kept checkpoints' bitmaps are in qemu: " + bitmaps);
            for (int seq = 0; seq <= 2; seq++) {
                assertFalse(bitmaps.contains(Naming.checkpointName(set, seq)),
                        "the bitmap of dropped backup " + seq + " is gone from qemu: " + bitmaps);
            }
            System.out.println("PruneCheckpointKillIT: " + kills + " kills; bitmaps qemu holds: " + bitmaps);

            y.backupNight(5, 5, Level.INC, "the inc after the killed prunes");
            assertEquals(List.of(), y.warnings);
            y.backupNight(6, 6, Level.DIFF, "the diff after the killed prunes");
            assertEquals(List.of(), y.warnings);
            y.judgeDirectory("after the inc and the diff", Set.of(3, 4, 5, 6), true);
        }
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
