package dev.virtchain.app.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtchain.app.cli.Durations;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The rules of checkpoint health and of the ages status reads and prints, on manifests built here. */
class CheckpointHealthTest {
    private static final String SET = "ab12cd34";
    private static final Instant T0 = Instant.parse("2026-12-01T01:30:00Z");

    private static String cp(int seq) {
        return Naming.checkpointName(SET, seq);
    }

    /** A one-disk record: a full or copy stands alone, an inc or diff links to {@code parent}. */
    private static Backup backup(int seq, Level level, Integer parent, String parentFile) {
        String file = Naming.diskFile("vda", seq, level);
        DiskBackup d = new DiskBackup("vda", file, 1L << 20, parentFile, 0, new Checksum(Checksum.CRC32C, "00000000"),
                DiskMode.of(parent == null ? "full" : "incremental"));
        return new Backup(seq, level, T0.plus(Duration.ofDays(seq)), level == Level.COPY ? null : cp(seq), parent,
                List.of(d));
    }

    /** full 0 <- inc 1, full 2 <- inc 3 <- inc 4, copy 5. */
    private static Manifest twoChains() {
        Manifest m = Manifest.empty(SET, new Domain("web01", UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")));
        m = m.with(backup(0, Level.FULL, null, null));
        m = m.with(backup(1, Level.INC, 0, "vda.0000.full.qcow2"));
        m = m.with(backup(2, Level.FULL, null, null));
        m = m.with(backup(3, Level.INC, 2, "vda.0002.full.qcow2"));
        m = m.with(backup(4, Level.INC, 3, "vda.0003.inc.qcow2"));
        return m.with(backup(5, Level.COPY, null, null));
    }

    @Test
    void theManifestExpectsTheCheckpointsOfItsPointsSinceTheNewestFull() {
        assertEquals(List.of(cp(2), cp(3), cp(4)), CheckpointHealth.expected(twoChains()));
    }

    @Test
    void allExpectedListedAndNoneStaleIsOk() {
        CheckpointHealth h = CheckpointHealth.of(twoChains(), List.of(cp(2), cp(3), cp(4)), List.of(), null);
        assertEquals(CheckpointHealth.State.OK, h.state());
        assertEquals("ok", h.summary());
    }

    @Test
    void anExpectedCheckpointLibvirtDoesNotListIsMissing() {
        CheckpointHealth h = CheckpointHealth.of(twoChains(), List.of(cp(2), cp(4)), List.of(), null);
        assertEquals(CheckpointHealth.State.PROBLEMS, h.state());
        assertEquals(List.of(cp(3)), h.missing());
        assertEquals("missing " + cp(3), h.summary());
    }

    @Test
    void aCheckpointTheManifestDoesNotNameIsForeignButAnOldChainsIsNot() {
        // cp(1) belongs to the old chain: the manifest names it (a full deletes it, here it survived),
        // so it is not foreign; another tool's and another set's are.
        List<String> listed = List.of(cp(1), cp(2), cp(3), cp(4), "other-tool.1", "virtchain.ffff0000.0007");
        CheckpointHealth h = CheckpointHealth.of(twoChains(), listed, List.of(), null);
        assertEquals(List.of("other-tool.1", "virtchain.ffff0000.0007"), h.foreign());
        assertEquals("foreign other-tool.1, virtchain.ffff0000.0007", h.summary());
    }

    @Test
    void aListedCheckpointWithABrokenBitmapIsStaleAndUncheckedBitmapsSaySo() {
        CheckpointHealth h = CheckpointHealth.of(twoChains(), List.of(cp(2), cp(3), cp(4)), List.of(cp(2)), null);
        assertEquals(CheckpointHealth.State.PROBLEMS, h.state());
        assertEquals("stale bitmaps " + cp(2), h.summary());
        CheckpointHealth off = CheckpointHealth.of(twoChains(), List.of(cp(2), cp(3), cp(4)), null,
                "bitmaps not checked: domain not running");
        assertEquals(CheckpointHealth.State.OK, off.state());
        assertNull(off.stale());
        assertEquals("ok (bitmaps not checked: domain not running)", off.summary());
    }

    @Test
    void healthThatCannotBeLearntIsUnknownWithItsReason() {
        CheckpointHealth h = CheckpointHealth.unknown(twoChains(), "domain web01: no such domain on qemu:///system");
        assertEquals(CheckpointHealth.State.UNKNOWN, h.state());
        assertEquals("unknown: domain web01: no such domain on qemu:///system", h.summary());
        assertEquals(List.of(cp(2), cp(3), cp(4)), h.expected());
    }

    @Test
    void agesReadAsPeopleWriteThemAndPrintInTheTwoLargestUnits() {
        assertEquals(Duration.ofHours(26), Durations.parse("26h"));
        assertEquals(Duration.ofHours(36), Durations.parse("1d12h"));
        assertEquals(Duration.ofSeconds(5405), Durations.parse("1h30m5s"));
        assertEquals(Duration.ofHours(26), Durations.parse("PT26H"));
        for (String bad : List.of("", "26", "h", "1h1d", "1h1h", "0s", "PT0S", "-PT1H", "1.5h", "26 h", "P1X")) {
            assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
        }
        assertEquals("3d 4h", Ages.format(Duration.ofHours(76).plusMinutes(59)));
        assertEquals("2h 0m", Ages.format(Duration.ofHours(2)));
        assertEquals("4m 10s", Ages.format(Duration.ofSeconds(250)));
        assertEquals("12s", Ages.format(Duration.ofSeconds(12)));
        assertEquals("0s", Ages.format(Duration.ofSeconds(-3)), "a clock behind the backup's: no negative age");
    }
}
