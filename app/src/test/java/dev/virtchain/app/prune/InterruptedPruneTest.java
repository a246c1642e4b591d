package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.PruneStep;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The next command finishes an interrupted prune: the fixture's set pruned under keep-last 2 is
 * stopped, as a crash would stop it, right after the commit's intent is journaled (the replay
 * test's technique); list, verify, restore and prune each then finish it first, with one line.
 */
class InterruptedPruneTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;
    Path bk;
    int commitStep;

    @BeforeEach
    void interruptedPrune() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        BackupSetFixture.writeSealed(bk, Checksum.SHA256);
        for (String f : BackupSetFixture.FILES) {
            Qemu.img(bk, "convert", "-U", "-O", "raw", f, root.resolve(f + ".raw").toString());
        }
        Manifest m = ManifestFile.load(bk);
        Map<String, Long> sizes = Prune.sizes(bk, m);
        PrunePlan plan = PrunePlan.of(m, RetentionPolicy.NONE.withKeepLast(2), CLOCK, sizes);
        List<PruneStep> steps = plan.steps();
        commitStep = 0;
        while (!(steps.get(commitStep) instanceof PruneStep.Commit)) {
            commitStep++;
        }
        int stop = commitStep;
        PruneRun stopping = new PruneRun(bk, (c, done) -> { }, (step, moment) -> {
            if (step == stop && moment == PruneRun.Moment.AFTER_INTENT) {
                throw new IllegalStateException("crash");
            }
        });
        assertThrows(IllegalStateException.class, () -> stopping.run(m, plan, CLOCK.instant()));
        assertNotNull(ManifestFile.load(bk).journal(), "the prune is under way");
    }

    private void assertFinishedWithOneLine(CliDriver.Result r) throws Exception {
        List<String> lines = r.stderr().lines().filter(l -> l.contains("interrupted prune")).toList();
        assertEquals(1, lines.size(), r.toString());
        assertTrue(lines.get(0).startsWith("virtchain: finishing an interrupted prune of " + bk + " (step "
                + (commitStep + 1) + " of "), lines.get(0));
        // Every file step is done; without the domain at hand, only checkpoint deletions stay journaled.
        PruneJournal j = ManifestFile.load(bk).journal();
        if (j != null) {
            assertTrue(j.steps().subList(j.done(), j.steps().size()).stream()
                    .allMatch(s -> s instanceof PruneStep.DeleteCheckpoint), j.toString());
        }
        for (String f : new String[] {"vda.0000.full.qcow2", "vda.0002.inc.qcow2", "vda.0003.diff.qcow2"}) {
            Qemu.assertClean(bk.resolve(f));
        }
    }

    @Test
    void listFinishesTheFileStepsAndLeavesTheCheckpointsForTheNextBackup() throws Exception {
        CliDriver.Result r = CLI.ok("list", bk.toString());
        assertFinishedWithOneLine(r);
        assertTrue(r.stderr().contains("left for the next backup or prune"), r.stderr());
    }

    @Test
    void verifyFinishesItAndPasses() throws Exception {
        assertFinishedWithOneLine(CLI.ok("verify", bk.toString()));
    }

    @Test
    void restoreFinishesItAndRestoresTheKeptPointAsBefore() throws Exception {
        Path out = root.resolve("out");
        CliDriver.Result r = CLI.ok("restore", bk.toString(), "-o", out.toString(), "--at", "2");
        assertFinishedWithOneLine(r);
        Qemu.assertClean(out.resolve("vda.qcow2"));
        String cmp = Qemu.img(root, "compare", out.resolve("vda.qcow2").toString(),
                root.resolve(BackupSetFixture.FILES.get(2) + ".raw").toString());
        assertTrue(cmp.contains("Images are identical."), cmp);
    }

    @Test
    void bootFinishesItFirstThenRecordsItselfInTheBackupDirectoryUntilItIsStopped() throws Exception {
        Path scratch = root.resolve("scratch");
        CliDriver.Result r = CLI.ok("boot", bk.toString(), "--at", "2", "-c", "test:///default", "--scratch",
                scratch.toString(), "--name", "web01-boot-2");
        assertFinishedWithOneLine(r);
        Path record = bk.resolve(Naming.BOOTS_DIR).resolve("web01-boot-2.json");
        assertTrue(Files.isRegularFile(record), r.toString());
        assertTrue(Files.readString(record).contains("\"" + scratch.resolve("web01-boot-2") + "\""),
                Files.readString(record));
        CLI.ok("boot", "--stop", "web01-boot-2", "--scratch", scratch.toString(), "-c", "test:///default");
        assertFalse(Files.exists(record), "boot --stop forgets the boot");
        assertFalse(Files.exists(scratch.resolve("web01-boot-2")));
    }

    @Test
    void pruneFinishesItFirst() throws Exception {
        CliDriver.Result r = CLI.ok("prune", bk.toString(), "--keep-last", "2", "-c", "test:///default");
        assertFinishedWithOneLine(r);
        assertTrue(r.stdout().contains("nothing to prune"), r.stdout());
    }

    @Test
    void aReaderFailsAtOnceWhileAnotherRunHoldsTheLock() throws Exception {
        try (DirectoryLock held = DirectoryLock.acquire(bk)) {
            CliDriver.Result r = CLI.run("list", bk.toString());
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(1, r.stderr().lines().count(), r.stderr());
            assertTrue(r.stderr().contains(".lock is locked"), r.stderr());
        }
    }
}
