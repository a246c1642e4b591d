package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.SyscallTrace;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup's files are durable when {@code virtchain backup} ends, as the kernel saw it: the
 * packaged jar runs under strace (a process of its own, so the test drives the embedded root
 * through virsh, as {@code BackupFaultsIT} does), and each file the manifest relies on, and the
 * manifest last, was fsynced under a temporary name, renamed, and its directory fsynced.
 */
class DurableBackupIT {
    static final String NAME = "vc-durable";

    @TempDir
    static Path shared;
    static Virsh virsh;

    @BeforeAll
    static void guest() throws Exception {
        HostRequirements.requireTools("qemu-system-x86_64", "qemu-img", "virsh", "perl");
        HostRequirements.requireToolsFor("DurableBackupIT", "apt-get install strace", "strace");
        HostRequirements.requireQemuUser();
        Path root = shared.resolve("libvirt");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/qemu.conf"), EmbeddedLibvirt.QEMU_CONF + EmbeddedLibvirt.NO_VIRTLOGD);
        virsh = Virsh.embedded(root);
        TestGuest g = TestGuest.create(shared, NAME, 1, 64L << 20);
        Path xml = shared.resolve(NAME + ".xml");
        Files.writeString(xml, g.domainXml());
        virsh.define(xml);
        virsh.run("start", NAME);
    }

    @AfterAll
    static void removeGuest() {
        virsh.tryRun("destroy", NAME);
        virsh.tryRun("undefine", NAME, "--checkpoints-metadata");
    }

    @Test
    void aFullAndAnIncLeaveEveryFileDurable(@TempDir Path work) throws Exception {
        Path dir = work.resolve("backup");
        for (String level : new String[] {"full", "inc"}) {
            Path log = work.resolve(level + ".strace");
            CliDriver.Result r = SyscallTrace.traced(CliDriver.jar(), log)
                    .run("backup", "-c", virsh.uri(), "-d", NAME, "-o", dir.toString(), "-l", level, "--no-freeze");
            assertEquals(0, r.exitCode(), r::toString);
            int seq = level.equals("full") ? 0 : 1;
            SyscallTrace t = SyscallTrace.read(log, work);
            t.assertDurable(dir.resolve(String.format("vda.%04d.%s.qcow2", seq, level)));
            t.assertDurable(dir.resolve(Naming.domainXml(seq)));
            t.assertDurable(dir.resolve(Naming.checkpointXml(ManifestFile.load(dir).backup(seq).orElseThrow().checkpoint())));
            t.assertDurable(dir.resolve(Naming.MANIFEST));
            t.assertDurable(dir.resolve(Naming.LAST_RUN)); // the run's record, written as it ends
        }
        BackupDirs.assertImagesClean(dir);
    }
}
