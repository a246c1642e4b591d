package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.virtchain.app.testing.CliDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup into a file system mounted after the domain started. libvirt 9.0's qemu driver (the
 * embedded one too) starts qemu in a mount namespace of its own, and this host's root mount is
 * private, so qemu never sees the later mount: push mode would fail inside qemu with "Could not
 * open '...partial': No such file or directory". virtchain finds it before the job and says why
 * and what to do, in one line; nothing is created in libvirt.
 */
class MountNamespaceIT {
    @Test
    void aBackupIntoAFileSystemMountedAfterTheDomainStartedFailsSayingWhyAndWhatToDo(@TempDir Path dir)
            throws Exception {
        HostRequirements.requireToolsFor("MountNamespaceIT", "apt-get install -y mount", "mount", "umount");
        try (CliGuest g = CliGuest.start(dir, "vc-mntns", 1, 16L << 20)) {
            Path late = Files.createDirectories(dir.resolve("late"));
            assertEquals(0, HostRequirements.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", late.toString()));
            try {
                Path out = late.resolve("backup");
                CliDriver.Result r = g.run(out);
                assertEquals(1, r.exitCode(), r.toString());
                List<String> errors = r.stderr().lines().filter(l -> l.startsWith("virtchain: ")
                        && !l.startsWith("virtchain: warning: ")).toList();
                assertEquals(List.of("virtchain: domain vc-mntns: its qemu (pid " + qemuPid(dir, "vc-mntns")
                        + ") does not see " + out + " as virtchain does: it runs in a mount namespace of its own, made"
                        + " when the domain started, and " + out + " is on a file system mounted after that; mount it"
                        + " before starting the domain, make the host's mounts shared (mount --make-rshared /) before"
                        + " starting it, or set namespaces = [] in qemu.conf"), errors, r.toString());
                assertEquals(List.of(), g.hv.checkpointNames("vc-mntns"));
            } finally {
                HostRequirements.run("umount", late.toString());
            }
            // The same run into a directory qemu sees goes through.
            CliDriver.Result ok = g.run(dir.resolve("seen"));
            assertEquals(0, ok.exitCode(), ok.toString());
            assertFalse(ok.stderr().contains("mount namespace"), ok.toString());
        }
    }

    private static String qemuPid(Path dir, String name) throws Exception {
        return Files.readString(dir.resolve("libvirt/run/qemu/" + name + ".pid")).strip();
    }
}
