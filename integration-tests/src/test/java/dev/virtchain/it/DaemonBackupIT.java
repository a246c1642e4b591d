package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same push backup through a real libvirtd over qemu:///system, as users run virtchain. */
class DaemonBackupIT {

    @Test
    void fullBackupThroughLibvirtd(@TempDir Path dir) throws Exception {
        try (LibvirtDaemon daemon = LibvirtDaemon.start(dir.resolve("daemon"))) {
            Hypervisor hv = daemon.hypervisor();
            TestGuest g = daemon.startGuest(dir, "vc-daemon", 1, PushBackupIT.DISK_SIZE);
            new GuestDisks(hv, g.name()).io("vda", "write -P 0xab 0 64k");

            Map<String, Path> full = PushBackups.targets(dir, g, "0000.full", null);
            JobStats s = PushBackups.run(hv, g.name(), PushBackups.backupXml(null, full),
                    PushBackups.checkpointXml("vc.0", g.targets()));
            assertEquals(JobStats.OPERATION_BACKUP, s.operation(), s.toString());
            assertEquals(List.of("vc.0"), hv.checkpointNames(g.name()));

            Qemu.img(dir, "check", full.get("vda").toString());
            DiskChecks.assertIdentical(dir, full.get("vda"), DiskChecks.snapshot(hv, dir, g, "vda", "now"));
        }
    }
}
