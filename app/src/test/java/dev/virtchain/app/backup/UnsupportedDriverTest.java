package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.TestDriverNode;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup through a libvirt driver without the backup API: libvirt's own test driver, which has
 * domains with disks and checkpoints but no job statistics and no backup job. The one line
 * PushFailures prints for it, through the CLI.
 */
class UnsupportedDriverTest {
    /** libvirt's test driver has domains with disks but no backup job: the real NO_SUPPORT, through the CLI. */
    @Test
    void aBackupThroughLibvirtsTestDriverSaysWhichDriverToUse(@TempDir Path dir) throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "vm1.qcow2", "1M");
        String uri = TestDriverNode.write(dir, "vm1", "6f1c2f0e-5b7a-4c1e-8d2a-3e4f5a6b7c8d", dir.resolve("vm1.qcow2"),
                true);
        Path out = dir.resolve("backup");
        CliDriver.Result r = CliDriver.forThisRun().run("backup", "-c", uri, "-d", "vm1", "-o",
                out.toString(), "-l", "full");
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals("virtchain: libvirt on " + uri + " cannot make push-mode backups (its driver lacks"
                + " libvirt's backup and job calls): back up through libvirt's qemu driver (qemu:///system, or"
                + " qemu:///embed?root=DIR) of libvirt 6.0 or later with qemu 4.2 or later",
                r.stderr().lines().filter(l -> l.startsWith("virtchain: ") && !l.startsWith("virtchain: warning"))
                        .findFirst().orElse(r.toString()));
        try (var left = Files.list(out)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".qcow2")
                    || n.endsWith(".partial")).toList(), "the failed run leaves no file");
        }
    }
}
