package dev.virtchain.chain.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * One test per rule of the prune plan (docs/DESIGN.md, "Retention: prune"), named as the rule. The steps
 * are compared as text, one line each, as a dry run might print them.
 */
class PrunePlanTest {
    private static final RetentionPolicy NONE = RetentionPolicy.NONE;

    private final SetBuilder set = new SetBuilder();

    static List<String> show(PrunePlan plan) {
        return plan.steps().stream().map(PrunePlanTest::show).toList();
    }

    static String show(PruneStep step) {
        if (step instanceof PruneStep.Commit c) {
            return "commit " + c.top() + " into " + c.into()
                    + (c.through().isEmpty() ? "" : " through " + String.join(", ", c.through()));
        }
        if (step instanceof PruneStep.Rename r) {
            return "rename " + r.from() + " over " + r.to();
        }
        if (step instanceof PruneStep.DeleteFile d) {
            return "delete " + d.file();
        }
        if (step instanceof PruneStep.DeleteSavedFiles d) {
            return "delete saved files of " + d.seq();
        }
        if (step instanceof PruneStep.DeleteCheckpoint d) {
            return "delete checkpoint " + d.checkpoint().substring(d.checkpoint().lastIndexOf('.') + 1);
        }
        PruneStep.ManifestUpdate u = (PruneStep.ManifestUpdate) step;
        return "manifest: " + u.changes().stream().map(PrunePlanTest::show).collect(Collectors.joining("; "));
    }

    private static String show(ManifestChange c) {
        if (c instanceof ManifestChange.Unlist u) {
            return "unlist " + u.seq();
        }
        if (c instanceof ManifestChange.Forget f) {
            return "forget " + f.seq();
        }
        ManifestChange.Rewrite r = (ManifestChange.Rewrite) c;
        Backup b = r.after();
        List<String> disks = new ArrayList<>();
        for (DiskBackup d : b.disks()) {
            disks.add(d.target() + (d.mode() == DiskMode.FULL ? " full" : " on " + d.backingFile()));
        }
        return b.seq() + " is " + b.level().word() + (b.parentSeq() == null ? "" : " on " + b.parentSeq()) + " ("
                + String.join(", ", disks) + ")"
                + (r.recomputeChecksums().isEmpty() ? "" : " new checksum " + String.join(", ", r.recomputeChecksums()));
    }

    private PrunePlan prune(RetentionPolicy p) throws PolicyException {
        return set.prune(p);
    }

    @Test
    void whenEveryPointIsKeptThereIsNothingToDo() throws Exception {
        set.full();
        set.inc();
        set.diff();
        PrunePlan plan = prune(NONE.withKeepLast(3));
        assertTrue(plan.isEmpty());
        assertEquals(List.of(0, 1, 2), plan.kept());
        assertEquals(set.backups(), plan.recordsAfter());
    }

    @Test
    void aDroppedCopyIsSimplyDeleted() throws Exception {
        set.copy();
        set.full();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(2));
        assertEquals(List.of(
                "manifest: unlist 0",
                "delete vda.0000.copy.qcow2",
                "delete saved files of 0",
                "manifest: forget 0"), show(plan));
        assertEquals(PointFate.DELETE, plan.point(0).fate());
    }

    @Test
    void aChainNoKeptPointReadsIsDeletedWithItsCheckpoints() throws Exception {
        set.full();
        set.inc();
        set.full();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(2));
        assertEquals(List.of(
                "manifest: unlist 0; unlist 1",
                "delete vda.0000.full.qcow2",
                "delete saved files of 0",
                "delete vda.0001.inc.qcow2",
                "delete saved files of 1",
                "manifest: forget 1; forget 0",
                "delete checkpoint 0000",
                "delete checkpoint 0001"), show(plan));
    }

    @Test
    void aDroppedFullWithOneKeptDependentTakesItsDataAndItsNameAndTheDependentBecomesTheFull() throws Exception {
        set.full();
        set.inc();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(2));
        assertEquals(List.of(
                "manifest: unlist 0",
                "delete saved files of 0",
                "commit vda.0001.inc.qcow2 into vda.0000.full.qcow2",
                "rename vda.0000.full.qcow2 over vda.0001.inc.qcow2",
                "manifest: forget 0; 1 is full (vda full) new checksum vda",
                "delete checkpoint 0000"), show(plan));
        assertEquals(new PruneStep.Commit("vda", "vda.0000.full.qcow2", List.of(), "vda.0001.inc.qcow2", 1L << 30,
                100), plan.steps().get(2), "the merged file has the top's size; the top's bytes are copied");
        assertEquals(PointFate.MERGE, plan.point(0).fate());
        assertEquals(List.of(1), plan.point(0).dependents());
        Backup one = plan.recordsAfter().get(0);
        assertEquals(Level.FULL, one.level(), "the next diff is taken against backup 1's checkpoint");
        assertEquals(Naming.checkpointName(SetBuilder.SET, 1), one.checkpoint());
        assertEquals("vda.0001.inc.qcow2", one.disks().get(0).file(), "names do not change");
    }

    @Test
    void aDroppedBackupLargerThanItsOneReaderStaysAsItsBaseBecauseACommitCannotShrinkAFile() throws Exception {
        set.full();
        set.inc();
        set.virtualSize(1L << 29).inc(); // the disk was shrunk before backup 2
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(2));
        assertEquals(List.of(2, 3), plan.kept());
        assertEquals(PointFate.BASE, plan.point(1).fate(), "1 is larger than 2, which reads it");
        assertEquals(PointFate.MERGE, plan.point(0).fate(), "0 and 1 have the same size");
        assertTrue(show(plan).contains("commit vda.0001.inc.qcow2 into vda.0000.full.qcow2"), show(plan).toString());
        assertTrue(plan.steps().stream().noneMatch(s -> s instanceof PruneStep.Commit c
                && c.top().equals("vda.0002.inc.qcow2")), "nothing is committed into a larger file");
    }

    @Test
    void aRunOfDroppedBackupsIsMergedInOneCommitThatCopiesEachClusterOnce() throws Exception {
        set.full();
        set.inc();
        set.inc();
        set.inc();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(1));
        assertEquals(List.of(
                "manifest: unlist 0; unlist 1; unlist 2; unlist 3",
                "delete saved files of 0",
                "delete saved files of 1",
                "delete saved files of 2",
                "delete saved files of 3",
                "commit vda.0004.inc.qcow2 into vda.0000.full.qcow2"
                        + " through vda.0003.inc.qcow2, vda.0002.inc.qcow2, vda.0001.inc.qcow2",
                "rename vda.0000.full.qcow2 over vda.0004.inc.qcow2",
                "delete vda.0003.inc.qcow2",
                "delete vda.0002.inc.qcow2",
                "delete vda.0001.inc.qcow2",
                "manifest: forget 3; forget 2; forget 1; forget 0; 4 is full (vda full) new checksum vda",
                "delete checkpoint 0000",
                "delete checkpoint 0001",
                "delete checkpoint 0002",
                "delete checkpoint 0003"), show(plan));
        assertEquals(400, plan.bytesToCopy(), "four incs, each read and written once");
    }

    @Test
    void aRunBetweenTwoKeptPointsMergesIntoItsLowestFileAndTheTopStaysAnInc() throws Exception {
        set.at("2025-02-20T02:00:00Z").full();
        set.at("2025-03-01T02:00:00Z").inc();
        set.inc();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepMonthly(2));
        assertEquals(List.of(0, 3), plan.kept());
        assertEquals(List.of(
                "manifest: unlist 1; unlist 2",
                "delete saved files of 1",
                "delete saved files of 2",
                "commit vda.0003.inc.qcow2 into vda.0001.inc.qcow2 through vda.0002.inc.qcow2",
                "rename vda.0001.inc.qcow2 over vda.0003.inc.qcow2",
                "delete vda.0002.inc.qcow2",
                "manifest: forget 2; forget 1; 3 is inc on 0 (vda on vda.0000.full.qcow2) new checksum vda",
                "delete checkpoint 0001",
                "delete checkpoint 0002"), show(plan));
    }

    @Test
    void aFullWithTwoKeptDependentsStaysAsABaseWithItsCheckpoint() throws Exception {
        set.full();
        set.diff();
        set.inc();
        set.diff();
        PrunePlan plan = prune(NONE.withKeepLast(3));
        assertEquals(List.of(
                "manifest: unlist 0",
                "delete saved files of 0"), show(plan),
                "its data is not copied into each dependent, and the next diff is taken against its checkpoint");
        assertEquals(PointFate.BASE, plan.point(0).fate());
        assertEquals(List.of(1, 3), plan.point(0).dependents());
        assertEquals(Set.of(0), plan.basesAfter());
        assertEquals(set.backups(), plan.recordsAfter());
    }

    @Test
    void aBaseIsMergedOnceOnlyOneKeptPointReadsIt() throws Exception {
        set.full();
        set.diff();
        set.inc();
        set.diff();
        PrunePlan first = prune(NONE.withKeepLast(3));
        PrunePlan plan = PrunePlan.of(new Manifest(SetBuilder.SET, SetBuilder.VM, first.recordsAfter()),
                first.basesAfter(), NONE.withKeepLast(1), set.clockAfterLast(ZoneId.of("UTC")), set.sizes());
        assertEquals(List.of(
                "manifest: unlist 1; unlist 2",
                "delete vda.0001.diff.qcow2",
                "delete saved files of 1",
                "delete vda.0002.inc.qcow2",
                "delete saved files of 2",
                "manifest: forget 2; forget 1",
                "commit vda.0003.diff.qcow2 into vda.0000.full.qcow2",
                "rename vda.0000.full.qcow2 over vda.0003.diff.qcow2",
                "manifest: forget 0; 3 is full (vda full) new checksum vda",
                "delete checkpoint 0000",
                "delete checkpoint 0001",
                "delete checkpoint 0002"), show(plan));
        assertEquals(List.of(false, true, true, true), plan.points().stream().map(PointDecision::listed).toList());
        assertEquals(Set.of(), plan.basesAfter());
    }

    @Test
    void checkpointsOfDroppedPointsGoButTheChainBasesAndTheNewestStay() throws Exception {
        set.at("2025-02-10T02:00:00Z").full();
        set.at("2025-02-20T02:00:00Z").inc();
        set.at("2025-03-01T02:00:00Z").inc();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepMonthly(2));
        assertEquals(List.of(1, 3), plan.kept());
        List<String> deleted = show(plan).stream().filter(s -> s.startsWith("delete checkpoint")).toList();
        assertEquals(List.of("delete checkpoint 0000", "delete checkpoint 0002"), deleted,
                "1 is the new chain base (a full now), 3 the newest");
    }

    @Test
    void droppedPointsAreUnlistedBeforeAnyFileIsTouched() throws Exception {
        set.copy();
        set.full();
        set.inc();
        set.diff();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(1));
        PruneStep first = plan.steps().get(0);
        assertEquals(new PruneStep.ManifestUpdate(List.of(new ManifestChange.Unlist(0), new ManifestChange.Unlist(1),
                new ManifestChange.Unlist(2), new ManifestChange.Unlist(3))), first);
    }

    @Test
    void theEstimatesCountWhatTheMergesCopyAndWhatTheDeletionsFree() throws Exception {
        set.copy();
        set.full();
        set.inc();
        set.inc();
        set.size(2, "vda", 300);
        PrunePlan plan = prune(NONE.withKeepLast(2));
        assertEquals(300, plan.bytesToCopy(), "backup 2 into the full");
        assertEquals(1000, plan.bytesFreedAtLeast(), "the copy");
        assertEquals(1300, plan.bytesFreedAtMost(), "had everything merged overwritten data of the full");
    }

    @Test
    void aDiskRemovedFromTheDomainKeepsItsFilesOnlyWhileAKeptPointReadsThem() throws Exception {
        set.disks("vda", "vdb").full();
        set.inc();
        set.disks("vda").inc();
        PrunePlan plan = prune(NONE.withKeepLast(1));
        assertEquals(List.of(
                "manifest: unlist 0; unlist 1",
                "delete vdb.0000.full.qcow2",
                "delete saved files of 0",
                "delete vdb.0001.inc.qcow2",
                "delete saved files of 1",
                "manifest: 0 is full (vda full); 1 is inc on 0 (vda on vda.0000.full.qcow2)",
                "commit vda.0002.inc.qcow2 into vda.0000.full.qcow2 through vda.0001.inc.qcow2",
                "rename vda.0000.full.qcow2 over vda.0002.inc.qcow2",
                "delete vda.0001.inc.qcow2",
                "manifest: forget 1; forget 0; 2 is full (vda full) new checksum vda",
                "delete checkpoint 0000",
                "delete checkpoint 0001"), show(plan));
    }

    @Test
    void aDiskAddedInAnIncIsMergedDownToItsOwnFirstFile() throws Exception {
        set.full();
        set.disks("vda", "vdb").inc();
        set.inc();
        PrunePlan plan = prune(NONE.withKeepLast(1));
        assertEquals(List.of(
                "manifest: unlist 0; unlist 1",
                "delete saved files of 0",
                "delete saved files of 1",
                "commit vda.0002.inc.qcow2 into vda.0000.full.qcow2 through vda.0001.inc.qcow2",
                "rename vda.0000.full.qcow2 over vda.0002.inc.qcow2",
                "commit vdb.0002.inc.qcow2 into vdb.0001.inc.qcow2",
                "rename vdb.0001.inc.qcow2 over vdb.0002.inc.qcow2",
                "delete vda.0001.inc.qcow2",
                "manifest: forget 1; forget 0; 2 is full (vda full, vdb full) new checksum vda, vdb",
                "delete checkpoint 0000",
                "delete checkpoint 0001"), show(plan));
    }

    @Test
    void aKeptIncThatReadsNothingOfItsDroppedParentBecomesAFull() throws Exception {
        set.full();
        set.disks("vdb").inc(); // vda was removed and vdb added: the inc holds vdb in full only
        PrunePlan plan = prune(NONE.withKeepLast(1));
        assertEquals(List.of(
                "manifest: unlist 0",
                "delete vda.0000.full.qcow2",
                "delete saved files of 0",
                "manifest: forget 0; 1 is full (vdb full)",
                "delete checkpoint 0000"), show(plan));
    }

    @Test
    void aMergedIntoRecordNamesTheBackupsMergedIntoItAlsoThoseOfAnEarlierPrune() throws Exception {
        set.full();
        set.inc();
        set.inc();
        set.inc();
        set.diff();
        PrunePlan first = prune(NONE.withKeepLast(3));
        assertEquals(List.of(0, 2, 3, 4), first.recordsAfter().stream().map(Backup::seq).toList());
        assertEquals(List.of(List.of(), List.of(1), List.of(), List.of()),
                first.recordsAfter().stream().map(Backup::merged).toList(), "1 is merged into 2, 0 stays a base");
        Manifest after = new Manifest(SetBuilder.SET, SetBuilder.VM, first.recordsAfter(), first.basesAfter(), null);
        PrunePlan second = PrunePlan.of(after, NONE.withKeepLast(2), set.clockAfterLast(ZoneId.of("UTC")),
                set.sizes());
        assertEquals(List.of(0, 3, 4), second.recordsAfter().stream().map(Backup::seq).toList());
        assertEquals(List.of(1, 2), second.recordsAfter().get(1).merged(),
                "2 is merged into 3, and with it what the first prune merged into 2");
    }

    @Test
    void aKeptPointWhoseParentIsDeletedIsNoMerge() throws Exception {
        set.full();
        set.disks("vdb").inc();
        PrunePlan plan = prune(NONE.withKeepLast(1));
        assertEquals(List.of(), plan.recordsAfter().get(0).merged(), "it read nothing of 0");
    }
}
