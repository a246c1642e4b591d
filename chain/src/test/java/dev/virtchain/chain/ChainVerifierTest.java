package dev.virtchain.chain;

import static dev.virtchain.chain.BackupRuns.qcow2;
import static dev.virtchain.chain.RequestedLevel.DIFF;
import static dev.virtchain.chain.RequestedLevel.FULL;
import static dev.virtchain.chain.RequestedLevel.INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.ops.BackingLink;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chain links against real qcow2 headers: targets created the way the backup command will
 * (native writer, the plan's size and backing link, format qcow2), then headers damaged.
 */
class ChainVerifierTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;
    private final BackupRuns runs = new BackupRuns();

    /** Mon full, Tue inc, Wed inc (vda grown), Thu diff; every planned target created on disk. */
    @BeforeEach
    void week() throws Exception {
        runs.disks.set(0, qcow2("vda", 64 * MIB));
        create(runs.run(FULL));
        create(runs.run(INC));
        runs.disks.set(0, qcow2("vda", 96 * MIB));
        create(runs.run(INC));
        create(runs.run(DIFF));
    }

    private void create(BackupPlan p) throws Exception {
        for (PlannedDisk d : p.disks()) {
            CreateOptions o = CreateOptions.of(d.virtualSize());
            if (d.backingFile() != null) {
                o = o.withBacking(d.backingFile(), "qcow2");
            }
            Qcow2Writer.create(dir.resolve(d.file()), o).close();
        }
    }

    @Test
    void aChainWrittenAsPlannedMatchesTheManifest() throws Exception {
        ChainVerifier.verifyAll(dir, runs.manifest);
        RestorePoint wednesday = RestorePoint.resolve(runs.manifest, new PointInTime.Seq(2));
        ChainVerifier.verify(dir, wednesday);
    }

    @Test
    void qemuImgFollowsTheSameChainAsTheManifest() throws Exception {
        RestorePoint wednesday = RestorePoint.resolve(runs.manifest, new PointInTime.Seq(2));
        String chain = Qemu.img(dir, "info", "--backing-chain", wednesday.disk("vda").top().file());
        int at = -1;
        for (String file : wednesday.disk("vda").files()) {
            int next = chain.indexOf("image: " + file);
            assertTrue(next > at, file + " in order in:\n" + chain);
            at = next;
        }
        assertEquals(3, chain.split("image: ", -1).length - 1, chain);
    }

    @Test
    void aHeaderLinkingElsewhereIsAnErrorNamingBoth() throws Exception {
        BackingLink.set(dir.resolve("vda.0002.inc.qcow2"), "vda.0000.full.qcow2", "qcow2");
        ChainException e = assertThrows(ChainException.class, () -> ChainVerifier.verifyAll(dir, runs.manifest));
        assertEquals("vda.0002.inc.qcow2 links to 'vda.0000.full.qcow2' in its qcow2 header, but the manifest says"
                + " 'vda.0001.inc.qcow2'", e.getMessage());
    }

    @Test
    void aLinkWhereTheManifestHasNoneIsAnError() throws Exception {
        BackingLink.set(dir.resolve("vda.0000.full.qcow2"), "elsewhere.qcow2", "qcow2");
        ChainException e = assertThrows(ChainException.class, () -> ChainVerifier.verifyAll(dir, runs.manifest));
        assertEquals("vda.0000.full.qcow2 links to 'elsewhere.qcow2' in its qcow2 header, but the manifest says"
                + " no backing file", e.getMessage());
    }

    @Test
    void aBackingFormatOtherThanQcow2IsAnError() throws Exception {
        BackingLink.set(dir.resolve("vda.0003.diff.qcow2"), "vda.0000.full.qcow2", "raw");
        ChainException e = assertThrows(ChainException.class, () -> ChainVerifier.verifyAll(dir, runs.manifest));
        assertEquals("vda.0003.diff.qcow2 links to 'vda.0000.full.qcow2' as format 'raw', but backup files are qcow2",
                e.getMessage());
    }

    @Test
    void aMissingFileOrAnotherSizeIsAnError() throws Exception {
        Files.delete(dir.resolve("vda.0001.inc.qcow2"));
        Qcow2Writer.create(dir.resolve("vda.0001.inc.qcow2"), CreateOptions.of(32 * MIB)
                .withBacking("vda.0000.full.qcow2", "qcow2")).close();
        ChainException size = assertThrows(ChainException.class, () -> ChainVerifier.verifyAll(dir, runs.manifest));
        assertEquals("vda.0001.inc.qcow2 has virtual size 33554432 in its qcow2 header, but the manifest says 67108864",
                size.getMessage());
        Files.delete(dir.resolve("vda.0001.inc.qcow2"));
        ChainException missing = assertThrows(ChainException.class,
                () -> ChainVerifier.verifyAll(dir, runs.manifest));
        assertEquals("vda.0001.inc.qcow2 is missing from " + dir + " (the manifest lists it)", missing.getMessage());
    }

    @Test
    void aFileThatIsNoQcow2IsRefusedByTheImageReader() throws Exception {
        Files.delete(dir.resolve("vda.0003.diff.qcow2"));
        Files.write(dir.resolve("vda.0003.diff.qcow2"), new byte[4096]);
        assertThrows(ImageException.class, () -> ChainVerifier.verifyAll(dir, runs.manifest));
    }
}
