package dev.virtchain.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NamingTest {
    @Test
    void backupFilesAreDiskSeqInFourDigitsAndLevel() {
        assertEquals("vda.0003.inc.qcow2", Naming.diskFile("vda", 3, Level.INC));
        assertEquals("sdb.0000.full.qcow2", Naming.diskFile("sdb", 0, Level.FULL));
        assertEquals("vda.0012.diff.qcow2", Naming.diskFile("vda", 12, Level.DIFF));
        assertEquals("vda.12345.copy.qcow2", Naming.diskFile("vda", 12345, Level.COPY), "past 9999 it just grows");
    }

    @Test
    void domainAndCheckpointFilesAndNames() {
        assertEquals("domain.0002.xml", Naming.domainXml(2));
        assertEquals("virtchain.5e7a1c2b.0002", Naming.checkpointName("5e7a1c2b", 2));
        assertEquals("checkpoints/virtchain.5e7a1c2b.0002.xml", Naming.checkpointXml("virtchain.5e7a1c2b.0002"));
        assertEquals("vda.0003.inc.qcow2.partial", Naming.partial("vda.0003.inc.qcow2"));
    }

    @Test
    void checkpointSeqIsReadOnlyFromThisSetsCheckpoints() {
        assertEquals(7, Naming.checkpointSeq("5e7a1c2b", "virtchain.5e7a1c2b.0007"));
        assertEquals(-1, Naming.checkpointSeq("5e7a1c2b", "virtchain.99aa00bb.0007"));
        assertEquals(-1, Naming.checkpointSeq("5e7a1c2b", "virtchain.5e7a1c2b.x7"));
        assertEquals(-1, Naming.checkpointSeq("5e7a1c2b", "virtchain.5e7a1c2b."));
        assertEquals(-1, Naming.checkpointSeq("5e7a1c2b", "virtchain.5e7a1c2b.99999999999"));
        assertTrue(Naming.isVirtchainCheckpoint("virtchain.99aa00bb.0007"));
        assertFalse(Naming.isVirtchainCheckpoint("nightly"));
    }

    @Test
    void setIdsAreShortRandomHex() {
        assertEquals(Naming.newSetId(new SplittableRandom(1)), Naming.newSetId(new SplittableRandom(1)));
        String id = Naming.newSetId();
        assertTrue(id.matches("[0-9a-f]{8}"), id);
        assertTrue(Naming.isSetId(id));
    }

    @Test
    void namesThatWouldLeaveTheDirectoryAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Naming.diskFile("../etc", 0, Level.FULL));
        assertThrows(IllegalArgumentException.class, () -> Naming.diskFile("vda/x", 0, Level.FULL));
        assertThrows(IllegalArgumentException.class, () -> Naming.checkpointXml("../../x"));
        assertThrows(IllegalArgumentException.class, () -> Naming.checkpointName("UPPER", 0));
        assertFalse(Naming.isPlainFileName(".."));
        assertFalse(Naming.isPlainFileName("a/b"));
        assertFalse(Naming.isPlainFileName(""));
        assertTrue(Naming.isPlainFileName("vda.0000.full.qcow2"));
    }
}
