package dev.virtchain.chain;

import static dev.virtchain.chain.BackupRuns.GIB;
import static dev.virtchain.chain.BackupRuns.cp;
import static dev.virtchain.chain.BackupRuns.qcow2;
import static dev.virtchain.chain.BackupRuns.raw;
import static dev.virtchain.chain.RequestedLevel.AUTO;
import static dev.virtchain.chain.RequestedLevel.COPY;
import static dev.virtchain.chain.RequestedLevel.DIFF;
import static dev.virtchain.chain.RequestedLevel.FULL;
import static dev.virtchain.chain.RequestedLevel.INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** One test per planning rule (docs/DESIGN.md, "Backup levels and links"), named as the rule. */
class PlannerTest {
    private final BackupRuns runs = new BackupRuns();

    @Test
    void aFullBackupStartsANewChain() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.checkpoints.add(0, "nightly-by-another-tool");
        BackupPlan p = runs.run(FULL);
        assertEquals(Level.FULL, p.level());
        assertEquals(2, p.seq());
        assertNull(p.parentSeq());
        assertNull(p.incremental());
        assertEquals(cp(2), p.checkpoint());
        assertEquals(new PlannedDisk("vda", "vda.0002.full.qcow2", 10 * GIB, null, DiskMode.FULL), p.disk("vda"));
        assertEquals(List.of(cp(0), cp(1)), p.checkpointsToDelete(), "older virtchain checkpoints only");
        assertEquals(List.of(), p.warnings());
        BackupPlan next = runs.plan(INC);
        assertEquals(2, next.parentSeq(), "the next inc builds on the new full");
        assertEquals("vda.0002.full.qcow2", next.disk("vda").backingFile());
    }

    @Test
    void aFullRetiresCheckpointsOfAnotherVirtchainSetWithAWarning() throws Exception {
        runs.checkpoints.add("virtchain.99aa00bb.0007");
        BackupPlan p = runs.plan(FULL);
        assertEquals(List.of("virtchain.99aa00bb.0007"), p.checkpointsToDelete());
        assertEquals(1, p.warnings().size());
        assertTrue(p.warnings().get(0).contains("another virtchain backup set (virtchain.99aa00bb.0007)"),
                p.warnings().get(0));
    }

    @Test
    void autoIsFullWhenTheDirectoryHasNoFullBackup() throws Exception {
        assertEquals(Level.FULL, runs.plan(AUTO).level(), "empty directory");
        runs.run(COPY);
        BackupPlan p = runs.plan(AUTO);
        assertEquals(Level.FULL, p.level(), "a copy is no base for a chain");
        assertEquals(List.of(), p.warnings());
    }

    @Test
    void autoIsIncAfterAFull() throws Exception {
        runs.run(FULL);
        BackupPlan p = runs.run(AUTO);
        assertEquals(Level.INC, p.level());
        assertEquals(0, p.parentSeq());
        assertEquals(Level.INC, runs.plan(AUTO).level());
        assertEquals(1, runs.plan(AUTO).parentSeq());
    }

    @Test
    void incLinksToThePreviousBackupWhateverItsLevel() throws Exception {
        runs.run(FULL);
        BackupPlan afterFull = runs.run(INC);
        BackupPlan afterInc = runs.run(INC);
        runs.run(DIFF);
        BackupPlan afterDiff = runs.run(INC);
        assertEquals("vda.0000.full.qcow2", afterFull.disk("vda").backingFile());
        assertEquals(cp(0), afterFull.incremental());
        assertEquals("vda.0001.inc.qcow2", afterInc.disk("vda").backingFile());
        assertEquals(cp(1), afterInc.incremental());
        assertEquals("vda.0003.diff.qcow2", afterDiff.disk("vda").backingFile());
        assertEquals(cp(3), afterDiff.incremental());
    }

    @Test
    void incAfterACopyChainsFromTheBackupBeforeTheCopy() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.run(COPY);
        BackupPlan p = runs.plan(INC);
        assertEquals(3, p.seq());
        assertEquals(1, p.parentSeq());
        assertEquals("vda.0001.inc.qcow2", p.disk("vda").backingFile());
    }

    @Test
    void diffLinksToTheFullBackup() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.run(INC);
        BackupPlan p = runs.plan(DIFF);
        assertEquals(Level.DIFF, p.level());
        assertEquals(0, p.parentSeq());
        assertEquals(new PlannedDisk("vda", "vda.0003.diff.qcow2", 10 * GIB, "vda.0000.full.qcow2",
                DiskMode.INCREMENTAL), p.disk("vda"));
    }

    @Test
    void diffUsesTheFullBackupsCheckpointAsIncremental() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.run(DIFF);
        BackupPlan p = runs.plan(DIFF);
        assertEquals(cp(0), p.incremental(), "not the previous diff's checkpoint");
        assertEquals(cp(3), p.checkpoint(), "a diff still creates its own checkpoint");
        assertEquals(List.of(), p.checkpointsToDelete());
    }

    @Test
    void anIncAfterADiffChainsFromTheDiff() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.run(DIFF);
        BackupPlan p = runs.plan(INC);
        assertEquals(2, p.parentSeq());
        assertEquals(cp(2), p.incremental());
        assertEquals("vda.0002.diff.qcow2", p.disk("vda").backingFile());
    }

    @Test
    void copyMakesNoCheckpointAndLinksToNothing() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        List<String> before = List.copyOf(runs.checkpoints);
        BackupPlan p = runs.run(COPY);
        assertEquals(Level.COPY, p.level());
        assertNull(p.checkpoint());
        assertNull(p.checkpointXml());
        assertNull(p.incremental());
        assertNull(p.parentSeq());
        assertEquals(new PlannedDisk("vda", "vda.0002.copy.qcow2", 10 * GIB, null, DiskMode.FULL), p.disk("vda"));
        assertEquals(List.of(), p.checkpointsToDelete(), "a copy leaves checkpoints untouched");
        assertEquals(before, runs.checkpoints);
    }

    @Test
    void incWithoutAFullFailsWithAdvice() throws Exception {
        PlanException e = assertThrows(PlanException.class, () -> runs.plan(INC));
        assertEquals("no full backup in this directory for an inc to build on; run a full backup first"
                + " (or use level auto)", e.getMessage());
        assertEquals("run a full backup first (or use level auto)", e.advice());
        runs.run(COPY);
        assertThrows(PlanException.class, () -> runs.plan(INC), "a copy is no base either");
        PlanException diff = assertThrows(PlanException.class, () -> runs.plan(DIFF));
        assertTrue(diff.getMessage().startsWith("no full backup in this directory for a diff"), diff.getMessage());
    }

    @Test
    void incAfterALostCheckpointFailsWithAdviceToRunFullOrAutoFull() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.checkpoints.remove(cp(1));
        PlanException e = assertThrows(PlanException.class, () -> runs.plan(INC));
        assertEquals("checkpoint " + cp(1) + " of backup 1 is gone from domain vm1, so libvirt cannot tell what"
                + " changed since then; run a full backup (or add --auto-full to fall back to one)", e.getMessage());
        runs.checkpoints.remove(cp(0));
        PlanException diff = assertThrows(PlanException.class, () -> runs.plan(DIFF));
        assertTrue(diff.getMessage().startsWith("checkpoint " + cp(0) + " of backup 0 is gone"), diff.getMessage());
    }

    @Test
    void autoFullFallsBackToFullWithAWarningWhenTheCheckpointIsGone() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.checkpoints.clear(); // e.g. the domain was undefined and defined again
        runs.autoFull = true;
        BackupPlan p = runs.plan(AUTO);
        assertEquals(Level.FULL, p.level());
        assertNull(p.parentSeq());
        assertEquals("vda.0002.full.qcow2", p.disk("vda").file());
        assertEquals(List.of("checkpoint " + cp(1) + " of backup 1 is gone from domain vm1, so libvirt cannot tell"
                + " what changed since then; taking a full backup instead (--auto-full)"), p.warnings());
        assertEquals(Level.FULL, runs.plan(INC).level(), "an explicit inc falls back too");
        assertEquals(Level.FULL, runs.plan(DIFF).level());
    }

    /** What libvirt 9.0 says when it refuses a backup from a checkpoint whose bitmap is gone from the image. */
    private static String bitmapGone(int seq) {
        return "domain vm1: backup begin: checkpoint inconsistent: missing or broken bitmap '" + cp(seq)
                + "' for disk 'vda'";
    }

    @Test
    void incFromACheckpointWhoseBitmapIsBrokenFailsWithAdvice() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.brokenCheckpoints.put(cp(1), bitmapGone(1));
        PlanException e = assertThrows(PlanException.class, () -> runs.plan(INC));
        assertEquals(bitmapGone(1) + "; the chain cannot continue from checkpoint " + cp(1)
                + ": run a full backup (-l full), or use --auto-full", e.getMessage());
        assertEquals("the chain cannot continue from checkpoint " + cp(1)
                + ": run a full backup (-l full), or use --auto-full", e.advice());
        assertThrows(PlanException.class, () -> runs.plan(AUTO), "auto builds on the same checkpoint");
    }

    @Test
    void incFromACheckpointWhoseBitmapIsBrokenWithAutoFullPlansAFull() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.brokenCheckpoints.put(cp(1), bitmapGone(1));
        runs.autoFull = true;
        BackupPlan p = runs.plan(INC);
        assertEquals(Level.FULL, p.level());
        assertEquals(2, p.seq(), "the seq the refused inc had: its job never began");
        assertNull(p.parentSeq());
        assertNull(p.incremental());
        assertEquals("vda.0002.full.qcow2", p.disk("vda").file());
        assertEquals(List.of(cp(0), cp(1)), p.checkpointsToDelete(), "the broken checkpoint goes with the old chain");
        assertEquals(List.of(bitmapGone(1) + "; the chain cannot continue from checkpoint " + cp(1)
                + "; taking a full backup instead (--auto-full)"), p.warnings());
        assertEquals(Level.FULL, runs.plan(AUTO).level(), "auto falls back too");
    }

    @Test
    void diffFromAFullWhoseBitmapIsBrokenWithAutoFullPlansAFull() throws Exception {
        runs.run(FULL);
        runs.run(INC);
        runs.brokenCheckpoints.put(cp(0), bitmapGone(0));
        assertThrows(PlanException.class, () -> runs.plan(DIFF));
        runs.autoFull = true;
        BackupPlan p = runs.plan(DIFF);
        assertEquals(Level.FULL, p.level());
        assertEquals("vda.0002.full.qcow2", p.disk("vda").file());
    }

    @Test
    void aBrokenBitmapOfAnOlderCheckpointLeavesAnIncFromALaterOneAlone() throws Exception {
        // libvirt merges the bitmaps from the incremental checkpoint on: older ones take no part.
        runs.run(FULL);
        runs.run(INC);
        runs.brokenCheckpoints.put(cp(0), bitmapGone(0));
        BackupPlan p = runs.plan(INC);
        assertEquals(Level.INC, p.level());
        assertEquals(cp(1), p.incremental());
        assertEquals(List.of(), p.warnings());
    }

    @Test
    void rawSourceDisksAllowOnlyFullAndCopy() throws Exception {
        runs.disks.add(raw("vdb", GIB));
        runs.run(FULL);
        PlanException inc = assertThrows(PlanException.class, () -> runs.plan(INC));
        assertEquals("raw source disks allow only full and copy backups: vdb is raw and cannot carry the dirty"
                + " bitmaps an inc needs; run a full or copy backup, or leave vdb out", inc.getMessage());
        PlanException diff = assertThrows(PlanException.class, () -> runs.plan(DIFF));
        assertTrue(diff.getMessage().contains("vdb is raw and cannot carry the dirty bitmaps a diff needs"),
                diff.getMessage());
        assertEquals(Level.COPY, runs.plan(COPY).level());
        assertEquals(Level.FULL, runs.plan(FULL).level());
        BackupPlan auto = runs.plan(AUTO);
        assertEquals(Level.FULL, auto.level());
        assertEquals(List.of("raw source disks allow only full and copy backups (vdb cannot carry dirty bitmaps);"
                + " auto takes a full backup"), auto.warnings());
    }

    @Test
    void aDiskResizedSinceTheLastBackupContinuesTheChainAtTheNewSize() throws Exception {
        runs.run(FULL);
        runs.disks.set(0, qcow2("vda", 20 * GIB));
        BackupPlan p = runs.plan(INC);
        assertEquals(new PlannedDisk("vda", "vda.0001.inc.qcow2", 20 * GIB, "vda.0000.full.qcow2",
                DiskMode.INCREMENTAL), p.disk("vda"));
        assertEquals(List.of("disk vda was resized from 10737418240 to 21474836480 bytes since backup 0: its chain"
                + " continues at the new size"), p.warnings());
    }

    @Test
    void aDiskAddedSinceTheLastBackupGetsAFullCopyInsideAnInc() throws Exception {
        runs.run(FULL);
        runs.disks.add(qcow2("vdb", 2 * GIB));
        BackupPlan p = runs.run(INC);
        assertEquals(Level.INC, p.level());
        assertEquals(DiskMode.INCREMENTAL, p.disk("vda").mode());
        assertEquals(new PlannedDisk("vdb", "vdb.0001.inc.qcow2", 2 * GIB, null, DiskMode.FULL), p.disk("vdb"));
        assertEquals(List.of("disk vdb is not in backup 0: it gets a full copy in this inc backup"), p.warnings());
        BackupPlan next = runs.plan(INC);
        assertEquals(DiskMode.INCREMENTAL, next.disk("vdb").mode(), "from then on vdb is incremental too");
        assertEquals("vdb.0001.inc.qcow2", next.disk("vdb").backingFile());
        BackupPlan diff = runs.plan(DIFF);
        assertEquals(DiskMode.FULL, diff.disk("vdb").mode(), "the full has no vdb to diff against");
    }

    @Test
    void aDiskRemovedSinceTheLastBackupIsSimplyNotInTheNewBackup() throws Exception {
        runs.disks.add(qcow2("vdb", 2 * GIB));
        runs.run(FULL);
        runs.disks.remove(1);
        BackupPlan p = runs.plan(INC);
        assertEquals(List.of("vda"), p.disks().stream().map(PlannedDisk::target).toList());
        assertEquals(List.of(), p.warnings());
    }

    @Test
    void seqNumbersNeverRepeat() throws Exception {
        List<RequestedLevel> week = List.of(FULL, INC, COPY, DIFF, INC, FULL, AUTO, COPY, DIFF);
        Set<String> files = new HashSet<>();
        Set<String> checkpoints = new HashSet<>();
        int expected = 0;
        for (RequestedLevel l : week) {
            BackupPlan p = runs.run(l);
            assertEquals(expected++, p.seq());
            assertTrue(files.add(p.disk("vda").file()), p.disk("vda").file());
            assertTrue(p.checkpoint() == null || checkpoints.add(p.checkpoint()), p.checkpoint());
        }
        // A run that created its checkpoint and then died left it behind without a manifest entry.
        runs.checkpoints.add(cp(expected));
        assertEquals(expected + 1, runs.plan(INC).seq());
        assertFalse(runs.plan(INC).checkpoint().equals(cp(expected)));
    }

    @Test
    void aDirectoryOfAnotherDomainIsRefused() throws Exception {
        runs.run(FULL);
        runs.domain = new Domain("vm2", UUID.fromString("11111111-2222-3333-4444-555555555555"));
        PlanException e = assertThrows(PlanException.class, () -> runs.plan(FULL));
        assertTrue(e.getMessage().startsWith("this directory holds backups of domain vm1 ("), e.getMessage());
        runs.domain = new Domain("vm1-renamed", BackupRuns.VM.uuid());
        assertEquals(List.of("domain vm1 is now called vm1-renamed"), runs.plan(INC).warnings());
    }

    @Test
    void noDisksOrADiskListedTwiceIsRefused() {
        runs.disks.clear();
        assertThrows(PlanException.class, () -> runs.plan(FULL));
        runs.disks.addAll(List.of(qcow2("vda", GIB), qcow2("vda", GIB)));
        assertEquals("disk vda is listed twice", assertThrows(PlanException.class, () -> runs.plan(FULL)).getMessage());
    }

    /**
     * The week from docs/DESIGN.md: Mon full, Tue inc1, Wed inc2, Thu diff1, Fri inc3, Sat diff2.
     * Every link, incremental checkpoint and new checkpoint as the table says.
     */
    @Test
    void theWeekFromTheDesign() throws Exception {
        List<BackupPlan> week = new ArrayList<>();
        for (RequestedLevel l : List.of(FULL, INC, INC, DIFF, INC, DIFF)) {
            week.add(runs.run(l));
        }
        // level, parent seq, incremental checkpoint, backing link, own file
        assertLink(week.get(0), Level.FULL, null, null, null, "vda.0000.full.qcow2");
        assertLink(week.get(1), Level.INC, 0, cp(0), "vda.0000.full.qcow2", "vda.0001.inc.qcow2");
        assertLink(week.get(2), Level.INC, 1, cp(1), "vda.0001.inc.qcow2", "vda.0002.inc.qcow2");
        assertLink(week.get(3), Level.DIFF, 0, cp(0), "vda.0000.full.qcow2", "vda.0003.diff.qcow2");
        assertLink(week.get(4), Level.INC, 3, cp(3), "vda.0003.diff.qcow2", "vda.0004.inc.qcow2");
        assertLink(week.get(5), Level.DIFF, 0, cp(0), "vda.0000.full.qcow2", "vda.0005.diff.qcow2");
        for (BackupPlan p : week) {
            assertEquals(cp(p.seq()), p.checkpoint(), "every backup of the week creates its checkpoint");
        }
        assertEquals(List.of(cp(0), cp(1), cp(2), cp(3), cp(4), cp(5)), runs.checkpoints);
        RestorePoint saturday = RestorePoint.resolve(runs.manifest, PointInTime.parse("latest"));
        assertEquals(List.of("vda.0005.diff.qcow2", "vda.0000.full.qcow2"), saturday.disk("vda").files(),
                "restore Saturday = full + diff2 only");
        RestorePoint friday = RestorePoint.resolve(runs.manifest, PointInTime.parse("4"));
        assertEquals(List.of("vda.0004.inc.qcow2", "vda.0003.diff.qcow2", "vda.0000.full.qcow2"),
                friday.disk("vda").files());
    }

    private static void assertLink(BackupPlan p, Level level, Integer parent, String incremental, String backing,
            String file) {
        assertEquals(level, p.level(), file);
        assertEquals(parent, p.parentSeq(), file);
        assertEquals(incremental, p.incremental(), file);
        assertEquals(backing, p.disk("vda").backingFile(), file);
        assertEquals(file, p.disk("vda").file());
    }
}
