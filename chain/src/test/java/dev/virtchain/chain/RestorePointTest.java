package dev.virtchain.chain;

import static dev.virtchain.chain.BackupRuns.GIB;
import static dev.virtchain.chain.BackupRuns.cp;
import static dev.virtchain.chain.BackupRuns.qcow2;
import static dev.virtchain.chain.RequestedLevel.COPY;
import static dev.virtchain.chain.RequestedLevel.DIFF;
import static dev.virtchain.chain.RequestedLevel.FULL;
import static dev.virtchain.chain.RequestedLevel.INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtchain.qcow2.ErrorKind;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Point-in-time resolution: which backup {@code --at} means, and per disk its files down to the full. */
class RestorePointTest {
    private final BackupRuns runs = new BackupRuns();

    /** Mon full, Tue inc (vdb added), Wed diff, Thu copy, Fri inc; one backup a day at 02:00 UTC. */
    @BeforeEach
    void week() throws Exception {
        runs.run(FULL);
        runs.disks.add(qcow2("vdb", GIB));
        runs.run(INC);
        runs.run(DIFF);
        runs.run(COPY);
        runs.run(INC);
    }

    private RestorePoint at(String at) throws ChainException {
        return RestorePoint.resolve(runs.manifest, PointInTime.parse(at));
    }

    @Test
    void theOptionReadsAsLatestSeqTimeOrCheckpoint() {
        assertEquals(new PointInTime.Latest(), PointInTime.parse("latest"));
        assertEquals(new PointInTime.Seq(3), PointInTime.parse("0003"));
        assertEquals(new PointInTime.Time(Instant.parse("2025-03-05T01:00:00Z")),
                PointInTime.parse("2025-03-05T03:00:00+02:00"));
        assertEquals(new PointInTime.Checkpoint(cp(2)), PointInTime.parse(cp(2)));
        assertThrows(IllegalArgumentException.class, () -> PointInTime.parse(" "));
        assertEquals("'2025-03-05T02:00' is not an ISO-8601 time with a zone, such as 2025-03-05T02:00:00Z or"
                + " 2025-03-05T03:00:00+01:00", assertThrows(IllegalArgumentException.class,
                        () -> PointInTime.parse("2025-03-05T02:00")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> PointInTime.parse("99999999999"));
    }

    @Test
    void latestIsTheNewestBackupWithEachDiskDownToItsFull() throws Exception {
        RestorePoint p = at("latest");
        assertEquals(4, p.backup().seq());
        assertEquals(List.of("vda.0004.inc.qcow2", "vda.0002.diff.qcow2", "vda.0000.full.qcow2"),
                p.disk("vda").files(), "the copy is no link of the chain");
        assertEquals(List.of("vdb.0004.inc.qcow2", "vdb.0002.diff.qcow2"), p.disk("vdb").files(),
                "vdb was new in the diff: its chain ends at its full copy there");
    }

    @Test
    void aSeqOrACheckpointNamesItsBackup() throws Exception {
        assertEquals(List.of("vda.0001.inc.qcow2", "vda.0000.full.qcow2"), at("1").disk("vda").files());
        assertEquals(List.of("vdb.0001.inc.qcow2"), at("1").disk("vdb").files());
        assertEquals(2, at(cp(2)).backup().seq());
        assertEquals(List.of("vda.0003.copy.qcow2"), at("3").disk("vda").files(), "a copy stands alone");
    }

    @Test
    void aTimeMeansTheNewestBackupTakenAtOrBeforeIt() throws Exception {
        assertEquals(1, at("2025-03-04T02:00:00Z").backup().seq(), "exactly at a backup");
        assertEquals(1, at("2025-03-05T01:59:59Z").backup().seq(), "just before the next");
        assertEquals(4, at("2030-01-01T00:00:00Z").backup().seq());
        ChainException e = assertThrows(ChainException.class, () -> at("2025-03-03T01:00:00Z"));
        assertEquals("no backup was taken at or before 2025-03-03T01:00:00Z (the first is from 2025-03-03T02:00:00Z)",
                e.getMessage());
    }

    @Test
    void anUnknownPointInTimeIsAnErrorThatSaysWhatThereIs() throws Exception {
        assertEquals("there is no backup 9 (backups 0 to 4)",
                assertThrows(ChainException.class, () -> at("9")).getMessage());
        assertEquals("no backup created checkpoint nightly",
                assertThrows(ChainException.class, () -> at("nightly")).getMessage());
        assertEquals("backup 0 has no disk vdb (it has vda)",
                assertThrows(ChainException.class, () -> at("0").disk("vdb")).getMessage());
        ChainException empty = assertThrows(ChainException.class,
                () -> RestorePoint.resolve(Manifest.empty(BackupRuns.SET, BackupRuns.VM), new PointInTime.Latest()));
        assertEquals("the backup set has no backups yet; run a backup first", empty.getMessage());
    }

    @Test
    void aPointInTimeThatIsNotThereIsNotFound() throws Exception {
        for (String at : List.of("9", "nightly", "2025-03-03T01:00:00Z")) {
            assertEquals(ErrorKind.NOT_FOUND, assertThrows(ChainException.class, () -> at(at)).kind(), at);
        }
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(ChainException.class, () -> at("0").disk("vdb")).kind());
    }
}
