package dev.virtchain.app.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** restore and verify on the backup directory of {@link BackupSetFixture}. */
class RestoreVerifyTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path root;
    Path bk;
    Path out;

    @BeforeEach
    void backupDirectory() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        out = root.resolve("out");
        BackupSetFixture.write(bk, Checksum.SHA256);
    }

    @Test
    void restoreOfEachPointEqualsItsChainAndIsStandalone() {
        for (int seq = 0; seq <= 3; seq++) {
            Path dst = out.resolve("p" + seq);
            CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", dst.toString(), "--at", "" + seq);
            assertEquals(0, r.exitCode(), r.stderr());
            String top = BackupSetFixture.FILES.get(seq);
            String cmp = Qemu.img(root, "compare", "bk/" + top, dst.resolve("vda.qcow2").toString());
            assertTrue(cmp.contains("Images are identical."), "point " + seq + ": " + cmp);
            assertFalse(Qemu.img(root, "info", dst.resolve("vda.qcow2").toString()).contains("backing file"));
            assertTrue(Qemu.img(root, "check", dst.resolve("vda.qcow2").toString()).contains("No errors"));
        }
    }

    @Test
    void restoreWritesADomainXmlWithANewNameUuidAndTheRestoredDisk() throws Exception {
        CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", out.toString(), "--at",
                "2026-11-23T00:00:00Z", "-O", "raw", "--name", "web01-old");
        assertEquals(0, r.exitCode(), r.stderr());
        String xml = Files.readString(out.resolve("web01-old.xml"));
        assertTrue(xml.contains("<name>web01-old</name>"), xml);
        assertFalse(xml.contains("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01"), "a new UUID: " + xml);
        assertTrue(xml.contains(out.resolve("vda.raw").toAbsolutePath().toString()), xml);
        assertFalse(xml.contains("web01-scratch.qcow2"), "a disk the backup does not hold is left out: " + xml);
        assertFalse(xml.contains("/var/log/web01-console.log"), "the console file moves out of the original's way: "
                + xml);
        assertTrue(Qemu.img(root, "compare", "bk/vda.0002.inc.qcow2", out.resolve("vda.raw").toString())
                .contains("Images are identical."), "the newest backup at or before the time: seq 2");
    }

    /**
     * A directly booted domain: the kernel and initrd kept with the backup are restored beside
     * the disk and the XML boots them, not the original paths (changed or gone by now), and a
     * file in the way of one fails the restore before any disk is written.
     */
    @Test
    void restoreBringsTheKeptKernelAndInitrdAndPointsTheXmlAtThem() throws Exception {
        String direct = BackupSetFixture.DOMAIN_XML.replace("<os><type arch='x86_64' machine='pc'>hvm</type></os>",
                "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/vmlinuz-gone</kernel>"
                        + "<initrd>/boot/initrd-gone</initrd><cmdline>console=ttyS0</cmdline></os>");
        Files.writeString(bk.resolve(Naming.domainXml(2)), direct);
        Files.writeString(bk.resolve(Naming.BootFile.KERNEL.file(2)), "kernel of backup 2");
        Files.writeString(bk.resolve(Naming.BootFile.INITRD.file(2)), "initrd of backup 2");
        Files.createDirectories(out);
        Files.writeString(out.resolve("web01-k.initrd"), "in the way");
        CliDriver.Result refused = CLI.run("restore", bk.toString(), "-o", out.toString(), "--at", "2",
                "--name", "web01-k");
        assertEquals(1, refused.exitCode(), refused.stdout());
        assertTrue(refused.stderr().contains(out.resolve("web01-k.initrd").toAbsolutePath() + ": already exists"),
                refused.stderr());
        assertFalse(Files.exists(out.resolve("vda.qcow2")), "refused before restoring a disk");

        CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", out.toString(), "--at", "2",
                "--name", "web01-k", "--force");
        assertEquals(0, r.exitCode(), r.stderr());
        Path kernel = out.resolve("web01-k.kernel").toAbsolutePath();
        Path initrd = out.resolve("web01-k.initrd").toAbsolutePath();
        assertEquals("kernel of backup 2", Files.readString(kernel));
        assertEquals("initrd of backup 2", Files.readString(initrd));
        dev.virtchain.xml.DomainOs os = dev.virtchain.xml.Domain.parse(Files.readString(out.resolve("web01-k.xml")))
                .os();
        assertEquals(kernel.toString(), os.kernel());
        assertEquals(initrd.toString(), os.initrd());
        assertTrue(r.stdout().contains("restored kernel.0002 into " + kernel), r.stdout());
        Qemu.assertClean(out.resolve("vda.qcow2"));
    }

    @Test
    void restoreNeverOverwritesWithoutForceNorWritesIntoABackupDirectory() throws Exception {
        assertEquals(0, CLI.run("restore", bk.toString(), "-o", out.toString()).exitCode());
        CliDriver.Result again = CLI.run("restore", bk.toString(), "-o", out.toString());
        assertEquals(1, again.exitCode());
        assertTrue(again.stderr().contains("already exists (use --force to replace it)"), again.stderr());
        assertEquals(0, CLI.run("restore", bk.toString(), "-o", out.toString(), "--force").exitCode());
        Qemu.assertClean(out.resolve("vda.qcow2"));
        CliDriver.Result into = CLI.run("restore", bk.toString(), "-o", bk.toString());
        assertEquals(2, into.exitCode());
        assertTrue(into.stderr().contains("is a backup directory"), into.stderr());
    }

    /** A backup only appends and replaces the manifest atomically: readers need no lock beside it. */
    @Test
    void listRestoreAndVerifyRunWhileABackupHoldsTheDirectoryLock() throws Exception {
        try (DirectoryLock backupRunning = DirectoryLock.acquire(bk)) {
            assertEquals(0, CLI.run("list", bk.toString()).exitCode());
            assertEquals(0, CLI.run("verify", bk.toString(), "--at", "2").exitCode());
            CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", out.toString(), "--at", "2");
            assertEquals(0, r.exitCode(), r.stderr());
            Qemu.assertClean(out.resolve("vda.qcow2"));
        }
    }

    @Test
    void verifyPassesOnAGoodDirectory() {
        CliDriver.Result r = CLI.run("verify", bk.toString());
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("verified 4 files: all good"), r.stdout());
    }

    @Test
    void verifyFindsAFlippedByteInADataCluster() throws Exception {
        // The inc's data clusters, 1 MiB of 0x11, end the file.
        Path inc = bk.resolve("vda.0001.inc.qcow2");
        try (RandomAccessFile f = new RandomAccessFile(inc.toFile(), "rw")) {
            f.seek(f.length() - 100);
            f.write(0x99);
        }
        CliDriver.Result r = CLI.run("verify", bk.toString(), "--at", "1");
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("vda.0001.inc.qcow2: sha256 is "), r.stderr());
        assertTrue(r.stdout().contains("FAILED vda.0001.inc.qcow2"), r.stdout());
    }

    @Test
    void verifyAndRestoreRefuseABrokenBackingLink() {
        Qemu.img(bk, "rebase", "-u", "-b", "vda.0000.full.qcow2", "-F", "qcow2", "vda.0002.inc.qcow2");
        CliDriver.Result v = CLI.run("verify", bk.toString(), "--at", "2");
        assertEquals(1, v.exitCode());
        assertTrue(v.stderr().contains("vda.0002.inc.qcow2 links to 'vda.0000.full.qcow2' in its qcow2 header, "
                + "but the manifest says 'vda.0001.inc.qcow2'"), v.stderr());
        CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", out.toString(), "--at", "2");
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("links to 'vda.0000.full.qcow2'"), r.stderr());
        assertFalse(Files.exists(out.resolve("vda.qcow2")));
    }
}
