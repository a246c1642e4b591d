package dev.virtchain.chain;

import static dev.virtchain.chain.RequestedLevel.DIFF;
import static dev.virtchain.chain.RequestedLevel.FULL;
import static dev.virtchain.chain.RequestedLevel.INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.chain.prune.ManifestChange;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.PruneStep;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manifest's bases and prune journal (format 2), and that format 1 still reads as before. */
class PrunedManifestJsonTest {
    @TempDir
    Path dir;

    private static Manifest decode(String json) throws ManifestException {
        return ManifestJson.decode("virtchain.json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(Manifest m) {
        return new String(ManifestJson.encode(m), StandardCharsets.UTF_8);
    }

    /** full, inc, inc, diff, inc: a set a prune has something to do in. */
    private static Manifest fiveBackups() throws PlanException {
        BackupRuns runs = new BackupRuns();
        for (RequestedLevel l : List.of(FULL, INC, INC, DIFF, INC)) {
            runs.run(l);
        }
        return runs.manifest;
    }

    private static Map<String, Long> sizes(Manifest m) {
        Map<String, Long> sizes = new HashMap<>();
        m.backups().forEach(b -> b.disks().forEach(d -> sizes.put(d.file(), 1L << 20)));
        return sizes;
    }

    private static PrunePlan plan(Manifest m, RetentionPolicy p) throws Exception {
        return PrunePlan.of(m, p, Clock.fixed(Instant.parse("2025-04-01T00:00:00Z"), ZoneOffset.UTC), sizes(m));
    }

    @Test
    void aManifestWithoutBasesOrJournalIsWrittenInFormat1AsBefore() throws Exception {
        String json = encode(fiveBackups());
        assertTrue(json.contains("\"format\" : 1,"), json);
        assertFalse(json.contains("bases"), json);
        assertFalse(json.contains("prune"), json);
    }

    @Test
    void aManifestWithBasesOrAJournalIsFormat2AndReadsBackEqual() throws Exception {
        Manifest m = fiveBackups();
        Manifest withBase = m.withRecords(m.backups(), Set.of(0));
        assertTrue(encode(withBase).contains("\"format\" : 2,"));
        assertEquals(withBase, decode(encode(withBase)));
        assertFalse(withBase.isRestorePoint(0));
        assertTrue(withBase.isRestorePoint(1));
        assertEquals(List.of(1, 2, 3, 4), withBase.restorePoints().stream().map(Backup::seq).toList());
    }

    @Test
    void aJournalOfEveryKindOfStepAndChangeReadsBackEqual() throws Exception {
        Manifest m = fiveBackups();
        Backup merged = m.backup(4).orElseThrow();
        List<PruneStep> steps = List.of(
                new PruneStep.ManifestUpdate(List.of(new ManifestChange.Unlist(2), new ManifestChange.Unlist(3))),
                new PruneStep.DeleteFile("vda.0003.diff.qcow2", 123),
                new PruneStep.DeleteSavedFiles(3),
                new PruneStep.Commit("vda", "vda.0001.inc.qcow2", List.of("vda.0002.inc.qcow2"), "vda.0004.inc.qcow2",
                        10L << 30, 456),
                new PruneStep.Rename("vda.0001.inc.qcow2", "vda.0004.inc.qcow2", 789),
                new PruneStep.ManifestUpdate(List.of(new ManifestChange.Forget(2),
                        new ManifestChange.Rewrite(merged, List.of("vda")))),
                new PruneStep.DeleteCheckpoint(BackupRuns.cp(2)));
        PruneJournal j = new PruneJournal(Instant.parse("2025-04-01T00:00:00Z"), steps, 3, true);
        Manifest journaled = m.withJournal(j);
        String json = encode(journaled);
        assertTrue(json.contains("\"format\" : 2,"));
        assertEquals(journaled, decode(json));
        ManifestFile.write(dir, journaled);
        assertEquals(journaled, ManifestFile.load(dir));
    }

    @Test
    void aRealPlansStepsJournalAndReadBack() throws Exception {
        Manifest m = fiveBackups();
        PrunePlan p = plan(m, RetentionPolicy.NONE.withKeepLast(1));
        assertFalse(p.isEmpty());
        Manifest journaled = m.withJournal(PruneJournal.of(Instant.parse("2025-04-01T00:00:00Z"), p.steps()));
        assertEquals(journaled, decode(encode(journaled)));
    }

    @Test
    void theBasesOfTheManifestAreNoRestorePointsToThePlanner() throws Exception {
        Manifest m = fiveBackups();
        // Backup 0 (the full under kept diff 3 and inc 1) was left as a base by an earlier prune.
        Manifest pruned = m.withRecords(m.backups(), Set.of(0));
        PrunePlan p = plan(pruned, RetentionPolicy.NONE.withKeepLast(5));
        assertFalse(p.point(0).listed(), "the planner was told backup 0 is a base");
        assertEquals(List.of(1, 2, 3, 4), p.kept());
    }

    @Test
    void aRestoreOfABaseIsRefusedNamingWhatItIs() throws Exception {
        Manifest m = fiveBackups();
        Manifest pruned = m.withRecords(m.backups(), Set.of(0));
        ChainException e = assertThrows(ChainException.class,
                () -> RestorePoint.resolve(pruned, new PointInTime.Seq(0)));
        assertTrue(e.getMessage().contains("backup 0 was pruned"), e.getMessage());
        RestorePoint byTime = RestorePoint.resolve(pruned, new PointInTime.Time(m.backup(1).orElseThrow().time()));
        assertEquals(1, byTime.backup().seq());
        ChainException before = assertThrows(ChainException.class, () -> RestorePoint.resolve(pruned,
                new PointInTime.Time(m.backup(0).orElseThrow().time())));
        assertTrue(before.getMessage().contains("no backup was taken at or before"), before.getMessage());
    }

    @Test
    void format1RefusesTheFieldsOfFormat2() {
        String v1 = ManifestFileTest.VALID.replace("\"backups\" : [", "\"bases\" : [ ],\n  \"backups\" : [");
        ManifestException e = assertThrows(ManifestException.class, () -> decode(v1));
        assertTrue(e.getMessage().startsWith("virtchain.json: bases: unknown field"), e.getMessage());
    }

    @Test
    void aBaseThatIsNoBackupIsRefused() {
        String v2 = ManifestFileTest.VALID.replace("\"format\" : 1", "\"format\" : 2")
                .replace("\"backups\" : [", "\"bases\" : [ 7 ],\n  \"prune\" : null,\n  \"backups\" : [");
        ManifestException e = assertThrows(ManifestException.class, () -> decode(v2));
        assertEquals("virtchain.json: bases: 7 is not the seq of a backup in the manifest", e.getMessage());
    }

    @Test
    void aJournalDoneBeyondItsStepsIsRefused() throws Exception {
        Manifest m = fiveBackups().withJournal(PruneJournal.of(Instant.EPOCH,
                List.of(new PruneStep.DeleteSavedFiles(1))));
        String bad = encode(m).replace("\"done\" : 0", "\"done\" : 2");
        ManifestException e = assertThrows(ManifestException.class, () -> decode(bad));
        assertEquals("virtchain.json: prune: done: 2 is not between 0 and 1", e.getMessage());
    }

    @Test
    void aJournalStepNamingAPathIsRefused() throws Exception {
        Manifest m = fiveBackups().withJournal(PruneJournal.of(Instant.EPOCH,
                List.of(new PruneStep.DeleteFile("gone.qcow2", 1))));
        String bad = encode(m).replace("\"gone.qcow2\"", "\"../etc/passwd\"");
        assertFalse(bad.equals(encode(m)));
        ManifestException e = assertThrows(ManifestException.class, () -> decode(bad));
        assertEquals("virtchain.json: prune.steps[0].file: '../etc/passwd' is not a plain file name", e.getMessage());
    }

    @Test
    void theJournalRecordsIntentThenDone() {
        PruneJournal j = PruneJournal.of(Instant.EPOCH, List.of(new PruneStep.DeleteSavedFiles(1),
                new PruneStep.DeleteSavedFiles(2)));
        assertEquals(new PruneStep.DeleteSavedFiles(1), j.next());
        PruneJournal begun = j.begin();
        assertTrue(begun.started());
        PruneJournal first = begun.finish();
        assertEquals(1, first.done());
        assertFalse(first.started());
        assertTrue(first.finish().complete());
        assertThrows(IllegalStateException.class, () -> first.finish().finish());
        assertThrows(IllegalStateException.class, () -> begun.begin());
    }

    @Test
    void aManifestFileWithoutTheNewFieldsStillLoads() throws Exception {
        Files.writeString(dir.resolve(Naming.MANIFEST), ManifestFileTest.VALID);
        Manifest m = ManifestFile.load(dir);
        assertEquals(Set.of(), m.bases());
        assertEquals(null, m.journal());
    }

    @Test
    void theBackupsMergedIntoARecordAreFormat2AndReadBackEqual() throws Exception {
        Manifest m = fiveBackups();
        List<Backup> records = new java.util.ArrayList<>(m.backups());
        records.set(4, records.get(4).withMerged(List.of(3, 1)));
        Manifest merged = m.withRecords(records, Set.of());
        String json = encode(merged);
        assertTrue(json.contains("\"format\" : 2,"), json);
        assertTrue(json.contains("\"merged\" : [ 1, 3 ]"), json);
        assertEquals(1, json.split("\"merged\"", -1).length - 1, "written only where there are some: " + json);
        assertEquals(merged, decode(json));
        assertEquals(List.of(1, 3), decode(json).backup(4).orElseThrow().merged());
    }

    @Test
    void aFormat2RecordWithoutMergedReadsAsNothingMergedIntoIt() throws Exception {
        String v2 = ManifestFileTest.VALID.replace("\"format\" : 1", "\"format\" : 2")
                .replace("\"backups\" : [", "\"bases\" : [ ],\n  \"prune\" : null,\n  \"backups\" : [");
        Manifest m = decode(v2);
        assertTrue(m.backups().stream().allMatch(b -> b.merged().isEmpty()), m.toString());
    }

    @Test
    void format1RefusesMergedAndAMergedSeqNotBeforeTheRecordIsRefused() throws Exception {
        String v1 = ManifestFileTest.VALID.replaceFirst("\"disks\" : \\[", "\"merged\" : [ ],\n      \"disks\" : [");
        assertFalse(v1.equals(ManifestFileTest.VALID));
        ManifestException e = assertThrows(ManifestException.class, () -> decode(v1));
        assertTrue(e.getMessage().startsWith("virtchain.json: backups[0].merged: unknown field"), e.getMessage());
        String v2 = v1.replace("\"format\" : 1", "\"format\" : 2")
                .replace("\"backups\" : [", "\"bases\" : [ ],\n  \"prune\" : null,\n  \"backups\" : [")
                .replace("\"merged\" : [ ]", "\"merged\" : [ 5 ]");
        ManifestException late = assertThrows(ManifestException.class, () -> decode(v2));
        assertTrue(late.getMessage().startsWith("virtchain.json: backups[0]: merged: 5 is not the seq of a backup before"),
                late.getMessage());
    }
}
