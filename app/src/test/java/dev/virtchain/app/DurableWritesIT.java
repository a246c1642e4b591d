package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.SyscallTrace;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file a command hands over is durable when the command ends, as the kernel saw it (the
 * packaged jar under strace): its data fsynced under a temporary name beside it, renamed, its
 * directory fsynced. The backup's files are checked against real qemu in integration-tests
 * ({@code DurableBackupIT}): libvirt's test driver has no backup job.
 */
class DurableWritesIT {
    @TempDir
    Path dir;

    private SyscallTrace run(String... args) throws Exception {
        Path log = Files.createTempFile(dir, "strace", ".log");
        CliDriver.Result r = SyscallTrace.traced(CliDriver.jar().in(dir), log).run(args);
        assertEquals(0, r.exitCode(), r::toString);
        return SyscallTrace.read(log, dir);
    }

    @Test
    void theImgCommandsWriteTheirImagesDurably() throws Exception {
        run("img", "create", "-q", "-f", "qcow2", "base.qcow2", "16M").assertDurable(dir.resolve("base.qcow2"));
        Qemu.io(dir, "-c", "write -P 0x5a 0 1M", "base.qcow2");
        run("img", "create", "-q", "-f", "raw", "blank.raw", "1M").assertDurable(dir.resolve("blank.raw"));
        run("img", "create", "-q", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2").assertDurable(dir.resolve("top.qcow2"));
        Qemu.io(dir, "-c", "write -P 0x6b 2M 1M", "top.qcow2");
        run("img", "flatten", "top.qcow2", "flat.qcow2").assertDurable(dir.resolve("flat.qcow2"));
        run("img", "convert", "-O", "raw", "top.qcow2", "flat.raw").assertDurable(dir.resolve("flat.raw"));
        // commit writes into the backing file in place, then replaces the image with an empty overlay.
        run("img", "commit", "top.qcow2").assertDurable(dir.resolve("top.qcow2"));
        for (String image : new String[] {"base.qcow2", "top.qcow2", "flat.qcow2"}) {
            Qemu.assertClean(dir.resolve(image));
        }
    }

    @Test
    void restoreWritesItsImagesDomainXmlAndUefiVariablesDurably() throws Exception {
        Path bk = Files.createDirectory(dir.resolve("bk"));
        BackupSetFixture.write(bk, Checksum.CRC32C);
        Files.writeString(bk.resolve(Naming.domainXml(3)), BackupSetFixture.DOMAIN_XML.replace("</os>",
                "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                        + "<nvram>/var/lib/libvirt/qemu/nvram/web01_VARS.fd</nvram></os>"));
        Files.writeString(bk.resolve(Naming.BootFile.NVRAM.file(3)), "uefi variables");
        Path out = dir.resolve("out");
        SyscallTrace t = run("restore", "bk", "-o", "out");
        t.assertDurable(out.resolve("vda.qcow2"));
        t.assertDurable(out.resolve("web01-restored-3.xml"));
        t.assertDurable(out.resolve("web01-restored-3_VARS.fd"));
        assertEquals("uefi variables", Files.readString(out.resolve("web01-restored-3_VARS.fd")));
        Qemu.assertClean(out.resolve("vda.qcow2"));
    }

    @Test
    void bootWritesItsStateDurably() throws Exception {
        Path bk = Files.createDirectory(dir.resolve("bk"));
        BackupSetFixture.write(bk, Checksum.CRC32C);
        // libvirt's test driver starts the domain in the run's own connection, which ends with the run.
        SyscallTrace t = run("boot", "bk", "-c", "test:///default", "--scratch", "scratch");
        t.assertDurable(dir.resolve("scratch/web01-boot-3/boot.json"));
        t.assertDurable(dir.resolve("scratch/web01-boot-3/domain.xml"));
        Qemu.assertClean(dir.resolve("scratch/web01-boot-3/vda.overlay.qcow2"));
        run("boot", "--stop", "web01-boot-3", "-c", "test:///default", "--scratch", "scratch");
    }
}
