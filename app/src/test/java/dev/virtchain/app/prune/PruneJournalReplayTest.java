package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.PruneStep;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journal replay of every step: a prune of the fixture's set ({@code full <- inc <- inc}, a diff
 * on the full) is stopped before each step's intent is written, after it, and after the step ran
 * but before the journal says so; a second run then finishes it from the manifest alone. At the
 * stop every kept point's top file reads what the point read before the prune; after the finish
 * the directory is what an uninterrupted prune leaves, judged by qemu-img (compare against each
 * kept point's pre-prune image, check) and the recorded checksums.
 */
class PruneJournalReplayTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;

    /** keep-last 1 merges the full into the diff and deletes both incs; keep-last 2 keeps the full as a base and merges inc 1 into inc 2. */
    private static final List<RetentionPolicy> POLICIES = List.of(RetentionPolicy.NONE.withKeepLast(1),
            RetentionPolicy.NONE.withKeepLast(2));

    private static final class Stop extends RuntimeException {
    }

    /** Deletes checkpoints by recording them, as libvirt would forget them. */
    private static final class RecordingCleaner implements CheckpointCleaner {
        final Set<String> deleted = new TreeSet<>();

        @Override
        public void delete(String checkpoint, Runnable inLibvirtDone) {
            deleted.add(checkpoint);
            inLibvirtDone.run();
        }
    }

    private Path freshSet(String name) throws IOException {
        return freshSet(name, Checksum.SHA256);
    }

    /**
     * The set with checksums in {@code algorithm}: CRC-32C ones a prune follows through its commits
     * instead of reading the files again ({@link FollowedChecksums}), SHA ones it reads.
     */
    private Path freshSet(String name, String algorithm) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        BackupSetFixture.write(dir, algorithm);
        for (String f : BackupSetFixture.FILES) {
            Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("r--------"));
        }
        return dir;
    }

    /** Each backup's guest view before the prune, as a raw image per seq. */
    private Path before(Path dir) throws IOException {
        Path raws = Files.createDirectories(root.resolve(dir.getFileName() + "-before"));
        for (int seq = 0; seq < BackupSetFixture.FILES.size(); seq++) {
            Qemu.img(dir, "convert", "-U", "-O", "raw", BackupSetFixture.FILES.get(seq),
                    raws.resolve(seq + ".raw").toString());
        }
        return raws;
    }

    private static PrunePlan plan(Path dir, RetentionPolicy policy) throws Exception {
        Manifest m = ManifestFile.load(dir);
        Map<String, Long> sizes = Prune.sizes(dir, m);
        return PrunePlan.of(m, policy, CLOCK, sizes);
    }

    private static void assertReads(Path dir, String file, Path raw) {
        String cmp = Qemu.img(dir, "compare", "-U", file, raw.toString());
        assertTrue(cmp.contains("Images are identical."), file + ": " + cmp);
    }

    /** Every kept point's top file (whose name a prune never changes) reads as before. */
    private static void assertKeptPointsRead(Path dir, Path raws, PrunePlan plan) {
        for (int seq : plan.kept()) {
            for (DiskBackup d : plan.point(seq).backup().disks()) {
                assertReads(dir, d.file(), raws.resolve(seq + ".raw"));
            }
        }
    }

    /** What a finished prune leaves: the planned records, every file clean, read-only, named and checksummed. */
    private static void assertFinished(Path dir, Path raws, PrunePlan plan) throws Exception {
        Manifest m = ManifestFile.load(dir);
        assertNull(m.journal(), "the journal is gone");
        assertEquals(plan.recordsAfter().stream().map(Backup::seq).toList(),
                m.backups().stream().map(Backup::seq).toList());
        assertEquals(plan.basesAfter(), m.bases());
        Set<String> named = new TreeSet<>();
        for (Backup b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                named.add(d.file());
                assertEquals(Checksum.of(d.checksum().algorithm(), dir.resolve(d.file())), d.checksum(),
                        d.file() + "'s checksum is recorded anew");
            }
        }
        for (int seq : plan.kept()) {
            RestorePoint p = RestorePoint.resolve(m, new PointInTime.Seq(seq));
            for (DiskChain c : p.disks()) {
                assertReads(dir, c.layers().get(0).file(), raws.resolve(seq + ".raw"));
                String info = Qemu.img(dir, "info", "-U", "--backing-chain", c.layers().get(0).file());
                for (String f : BackupSetFixture.FILES) {
                    if (info.contains("image: " + f)) {
                        assertTrue(named.contains(f), f + " is in a kept chain but not in the manifest: " + info);
                    }
                }
            }
        }
        List<String> images;
        try (Stream<Path> files = Files.list(dir)) {
            images = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".qcow2")).sorted().toList();
        }
        assertEquals(new ArrayList<>(named), images, "the files on disk are the files the manifest names");
        for (String f : images) {
            Qemu.assertClean(dir.resolve(f));
            assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))), f);
        }
        for (PruneStep s : plan.steps()) {
            if (s instanceof PruneStep.DeleteSavedFiles d) {
                assertFalse(Files.exists(dir.resolve("domain." + String.format("%04d", d.seq()) + ".xml")));
            }
        }
    }

    private static Set<String> plannedCheckpoints(PrunePlan plan) {
        Set<String> out = new TreeSet<>();
        plan.steps().stream().filter(s -> s instanceof PruneStep.DeleteCheckpoint)
                .forEach(s -> out.add(((PruneStep.DeleteCheckpoint) s).checkpoint()));
        return out;
    }

    @Test
    void anUninterruptedPruneLeavesEveryKeptPointAsItWas() throws Exception {
        for (RetentionPolicy policy : POLICIES) {
            for (String algorithm : List.of(Checksum.SHA256, Checksum.CRC32C)) {
                uninterrupted(policy, algorithm);
            }
        }
    }

    private void uninterrupted(RetentionPolicy policy, String algorithm) throws Exception {
        Path dir = freshSet("whole-" + policy.keepLast() + "-" + algorithm, algorithm);
        Path raws = before(dir);
        PrunePlan plan = plan(dir, policy);
        assertTrue(plan.steps().stream().anyMatch(s -> s instanceof PruneStep.Commit), "the plan merges");
        RecordingCleaner cleaner = new RecordingCleaner();
        PruneRun.Outcome o = new PruneRun(dir, cleaner).run(ManifestFile.load(dir), plan, CLOCK.instant());
        assertTrue(o.complete());
        assertFinished(dir, raws, plan);
        assertEquals(plannedCheckpoints(plan), cleaner.deleted);
    }

    @Test
    void aPruneStoppedAtAnyMomentOfAnyStepIsFinishedByTheNextRunFromTheJournal() throws Exception {
        for (RetentionPolicy policy : POLICIES) {
            int steps = plan(freshSet("count-" + policy.keepLast()), policy).steps().size();
            // One policy's sets with CRC-32C checksums: a stopped run followed them, the next one reads.
            String algorithm = policy == POLICIES.get(0) ? Checksum.SHA256 : Checksum.CRC32C;
            for (int step = 0; step < steps; step++) {
                for (PruneRun.Moment moment : PruneRun.Moment.values()) {
                    String name = "k" + policy.keepLast() + "-" + step + "-" + moment;
                    Path dir = freshSet(name, algorithm);
                    Path raws = before(dir);
                    PrunePlan plan = plan(dir, policy);
                    RecordingCleaner cleaner = new RecordingCleaner();
                    int stopStep = step;
                    PruneRun stopping = new PruneRun(dir, cleaner, (s, m) -> {
                        if (s == stopStep && m == moment) {
                            throw new Stop();
                        }
                    });
                    Manifest m0 = ManifestFile.load(dir);
                    boolean stopped;
                    try {
                        stopping.run(m0, plan, CLOCK.instant());
                        stopped = false;
                    } catch (Stop e) {
                        stopped = true;
                    }
                    boolean updateStep = plan.steps().get(step) instanceof PruneStep.ManifestUpdate;
                    boolean commitStep = plan.steps().get(step) instanceof PruneStep.Commit;
                    boolean checkpointStep = plan.steps().get(step) instanceof PruneStep.DeleteCheckpoint;
                    assertTrue(stopped || updateStep && moment == PruneRun.Moment.AFTER_INTENT
                            || !commitStep && moment == PruneRun.Moment.MID_COMMIT
                            || !checkpointStep && moment == PruneRun.Moment.MID_CHECKPOINT, name + " stopped");
                    assertKeptPointsRead(dir, raws, plan);
                    Manifest interrupted = ManifestFile.load(dir);
                    if (stopped) {
                        assertNotNull(interrupted.journal(), name + ": the journal says a prune is under way");
                    }
                    PruneRun.Outcome o = new PruneRun(dir, cleaner).resume(interrupted);
                    assertTrue(o.complete(), name);
                    assertFinished(dir, raws, plan);
                    assertEquals(plannedCheckpoints(plan), cleaner.deleted, name);
                }
            }
        }
    }

    /**
     * A commit killed inside its writer's flush (after the refcounts, before the tables that refer
     * to them) leaves leaked clusters in the file it commits into; made here by hand (the header's
     * cluster counted twice, as qemu-img check reports a leak). The resumed commit drops them, so
     * the finished prune leaves every file clean and verify's structural check passes.
     */
    @Test
    void leaksACommitKilledInItsFlushLeftAreDroppedWhenTheCommitRunsAgain() throws Exception {
        Path dir = freshSet("leaky");
        Path raws = before(dir);
        PrunePlan plan = plan(dir, POLICIES.get(1));
        int commit = 0;
        while (!(plan.steps().get(commit) instanceof PruneStep.Commit)) {
            commit++;
        }
        int stop = commit;
        try {
            new PruneRun(dir, new RecordingCleaner(), (s, m) -> {
                if (s == stop && m == PruneRun.Moment.AFTER_STEP) {
                    throw new Stop();
                }
            }).run(ManifestFile.load(dir), plan, CLOCK.instant());
        } catch (Stop e) {
            // the commit ran; the journal does not say so yet
        }
        Path into = dir.resolve(((PruneStep.Commit) plan.steps().get(commit)).into());
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(into,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
            ch.read(b, 48);
            long table = b.flip().getLong();
            ch.read(b.clear(), table);
            long block = b.flip().getLong();
            ch.write(java.nio.ByteBuffer.allocate(2).putShort(0, (short) 2), block); // cluster 0 counted twice
        }
        Qemu.Result leaky = Qemu.run(dir, "qemu-img", "check", "-U", into.toString());
        assertEquals(3, leaky.exitCode(), "a leak, as a killed flush leaves: " + leaky.stdout());
        assertKeptPointsRead(dir, raws, plan);
        assertTrue(new PruneRun(dir, new RecordingCleaner()).resume(ManifestFile.load(dir)).complete());
        assertFinished(dir, raws, plan);
    }

    @Test
    void withoutLibvirtTheFilesArePrunedAndTheCheckpointsWaitInTheJournalForTheNextRun() throws Exception {
        Path dir = freshSet("unreachable");
        Path raws = before(dir);
        PrunePlan plan = plan(dir, POLICIES.get(0));
        Set<String> planned = plannedCheckpoints(plan);
        assertFalse(planned.isEmpty());
        CheckpointCleaner gone = (checkpoint, inLibvirtDone) -> {
            throw new CheckpointCleaner.Unreachable("domain web01 is not defined on test:///default");
        };
        PruneRun.Outcome o = new PruneRun(dir, gone).run(ManifestFile.load(dir), plan, CLOCK.instant());
        assertFalse(o.complete());
        assertEquals(new ArrayList<>(planned), o.checkpointsLeft());
        assertEquals("domain web01 is not defined on test:///default", o.whyLeft());
        assertKeptPointsRead(dir, raws, plan);

        PruneRun.Outcome still = new PruneRun(dir, null).resume(ManifestFile.load(dir));
        assertEquals(new ArrayList<>(planned), still.checkpointsLeft(), "without a connection nothing changes");
        assertEquals("no connection to libvirt", still.whyLeft());

        RecordingCleaner cleaner = new RecordingCleaner();
        assertTrue(new PruneRun(dir, cleaner).resume(ManifestFile.load(dir)).complete());
        assertEquals(planned, cleaner.deleted);
        assertFinished(dir, raws, plan);
    }

    @Test
    void aPruneIsNotStartedOverOneUnderWay() throws Exception {
        Path dir = freshSet("twice");
        PrunePlan plan = plan(dir, POLICIES.get(0));
        try {
            new PruneRun(dir, new RecordingCleaner(), (s, m) -> {
                throw new Stop();
            }).run(ManifestFile.load(dir), plan, CLOCK.instant());
        } catch (Stop e) {
            // the journal is written
        }
        Manifest m = ManifestFile.load(dir);
        assertThrows(IllegalStateException.class, () -> new PruneRun(dir, null).run(m, plan, CLOCK.instant()));
        for (String f : BackupSetFixture.FILES) {
            Qemu.assertClean(dir.resolve(f));
        }
    }
}
