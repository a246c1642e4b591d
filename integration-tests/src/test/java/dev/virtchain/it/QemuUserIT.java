package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.testing.CliDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu run as the unprivileged user libvirt-qemu (libvirt's DAC driver) with
 * {@code dynamic_ownership = 0}: libvirt hands no file to qemu's user, so qemu may not write the
 * targets virtchain creates (root's, mode 0600), and backup begin fails inside qemu with
 * "Permission denied". virtchain names qemu's user, the file and its owner and mode, and the
 * setting; with {@code dynamic_ownership = 1}, as it says, the same backup goes through. The
 * domain is driven by virsh and backed up by the packaged jar, each a process of its own.
 */
class QemuUserIT {
    private static final String AS_QEMU_USER = """
            user = "libvirt-qemu"
            group = "libvirt-qemu"
            dynamic_ownership = %d
            """;

    @Test
    void aTargetQemusUserMayNotWriteNamesTheUserTheFileAndTheSettingThatHelps(@TempDir Path dir) throws Exception {
        HostRequirements.requireTools("qemu-system-x86_64", "qemu-img", "virsh");
        HostRequirements.requireQemuUser();
        // qemu, as libvirt-qemu, must reach its disks and libvirt's root: JUnit made dir 0700.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path vm = Files.createDirectories(dir.resolve("vm"));
        TestGuest g = TestGuest.create(vm, "vc-qemu-user", 1, 16L << 20);
        assertEquals(0, HostRequirements.run("chown", "-R", "libvirt-qemu:libvirt-qemu", vm.toString()));
        Path out = dir.resolve("backup");
        int uid = Integer.parseInt(Files.readAllLines(Path.of("/etc/passwd")).stream()
                .filter(l -> l.startsWith("libvirt-qemu:")).findFirst().orElseThrow().split(":")[2]);

        // The embedded driver reads qemu.conf once per process: this JVM never opens the root, virsh
        // (a process per call) and the packaged jar do, each reading the qemu.conf of the moment.
        Path root = dir.resolve("libvirt");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/qemu.conf"), AS_QEMU_USER.formatted(0) + EmbeddedLibvirt.NO_VIRTLOGD);
        Virsh virsh = Virsh.embedded(root);
        Path xml = dir.resolve("vc-qemu-user.xml");
        Files.writeString(xml, g.domainXml());
        virsh.define(xml);
        try {
            virsh.run("start", g.name());
            CliDriver.Result r = backup(virsh.uri(), g.name(), out);
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(List.of("virtchain: domain vc-qemu-user: its qemu runs as user libvirt-qemu (uid " + uid
                    + "), which may not write " + out.resolve("vda.0000.full.qcow2.partial") + " (owner uid 0, group 0,"
                    + " mode 0600), and libvirt did not hand it over: set dynamic_ownership = 1 in qemu.conf (libvirt"
                    + " then gives each backup target to qemu's user), or run qemu as root (user = \"root\")"),
                    r.stderr().lines().filter(l -> l.startsWith("virtchain: ") && !l.startsWith("virtchain: warning"))
                            .toList(), r.toString());
            assertEquals(List.of(), virsh.checkpoints(g.name()));
            virsh.tryRun("destroy", g.name()); // exits 1 on an embedded root although it stops the domain

            Files.writeString(root.resolve("etc/qemu.conf"), AS_QEMU_USER.formatted(1) + EmbeddedLibvirt.NO_VIRTLOGD);
            virsh.run("start", g.name());
            CliDriver.Result ok = backup(virsh.uri(), g.name(), out);
            assertEquals(0, ok.exitCode(), ok.toString());
            BackupDirs.assertImagesClean(out);
        } finally {
            virsh.tryRun("destroy", g.name());
            virsh.tryRun("undefine", "--checkpoints-metadata", g.name());
        }
    }

    private static CliDriver.Result backup(String uri, String domain, Path out) {
        return CliDriver.jar().run("backup", "-c", uri, "-d", domain, "-o", out.toString(), "-l", "full",
                "--no-freeze");
    }
}
