package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The push backup path end to end on libvirt's embedded qemu driver: guest writes through HMP,
 * targets pre-created by the native qcow2 writer, full then incremental backups with checkpoints,
 * and qemu-img as the judge of the resulting chain.
 */
class PushBackupIT {
    static final long DISK_SIZE = 4L << 20; // 4 MiB: a few 64 KiB clusters are enough to tell them apart

    @TempDir
    static Path shared;
    static EmbeddedLibvirt env;
    static Hypervisor hv;

    @BeforeAll
    static void connect() throws Exception {
        env = EmbeddedLibvirt.start(shared.resolve("libvirt"));
        hv = env.hypervisor();
    }

    /** Each test's guest goes before JUnit deletes the test's directory with its disks. */
    @AfterEach
    void stopGuests() throws Exception {
        env.stopGuests();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (env != null) {
            env.close();
        }
    }

    @Test
    void fullThenIncrementalBackupIsAQcow2ChainEqualToTheDisk(@TempDir Path dir) throws Exception {
        TestGuest g = env.startGuest(dir, "vc-push", 2, DISK_SIZE);
        GuestDisks disks = new GuestDisks(hv, g.name());
        disks.io("vda", "write -P 0xab 0 64k");
        disks.io("vda", "write -P 0x11 1M 192k");
        disks.io("vdb", "write -P 0xcd 64k 64k");
        disks.io("vdb", "write -P 0x22 3M 64k");

        Map<String, Path> full = PushBackups.targets(dir, g, "0000.full", null);
        JobStats s = PushBackups.run(hv, g.name(), PushBackups.backupXml(null, full),
                PushBackups.checkpointXml("vc.0", g.targets()));
        assertEquals(JobStats.OPERATION_BACKUP, s.operation(), s.toString());
        assertEquals(2 * DISK_SIZE, s.total(), "a full backup reads both disks whole: " + s);
        for (String t : g.targets()) {
            Qemu.img(dir, "check", full.get(t).toString());
            DiskChecks.assertIdentical(dir, full.get(t), DiskChecks.snapshot(hv, dir, g, t, "after-full"));
        }

        // Data over the full backup's data, a zeroed range and a discarded one: all must show.
        disks.io("vda", "write -P 0xef 32k 64k");
        disks.io("vda", "write -z 1M 64k");
        disks.io("vda", "discard 1152k 64k");
        disks.io("vdb", "write -P 0x33 2M 64k");

        Map<String, Path> inc = PushBackups.targets(dir, g, "0001.inc", "0000.full");
        PushBackups.run(hv, g.name(), PushBackups.backupXml("vc.0", inc),
                PushBackups.checkpointXml("vc.1", g.targets()));
        assertEquals(List.of("vc.0", "vc.1"), hv.checkpointNames(g.name()));

        for (String t : g.targets()) {
            Path top = inc.get(t);
            Qemu.img(dir, "check", top.toString());
            String chain = Qemu.img(dir, "info", "--backing-chain", top.toString());
            // The link is the bare relative name, resolved next to the overlay.
            assertTrue(chain.contains("backing file: " + full.get(t).getFileName() + " (actual path: " + full.get(t) + ")\n"),
                    chain);
            assertTrue(chain.contains("backing file format: qcow2"), chain);
            assertTrue(chain.contains("image: " + full.get(t)), chain);
            DiskChecks.assertIdentical(dir, top, DiskChecks.snapshot(hv, dir, g, t, "after-inc"));
        }
        // Only dirty clusters land in the inc overlay: vda 0-128k (data), 1M and 1152k (zeroes).
        String map = Qemu.img(dir, "map", "--output=json", inc.get("vda").toString());
        assertEquals(3 * 64 * 1024 + 64 * 1024, DiskChecks.allocatedInTop(map), map);
    }

    @Test
    void checkpointsDroppedFromLibvirtAreRedefinedFromTheirXml(@TempDir Path dir) throws Exception {
        TestGuest g = env.startGuest(dir, "vc-redefine", 1, DISK_SIZE);
        GuestDisks disks = new GuestDisks(hv, g.name());
        disks.io("vda", "write -P 0x5a 0 128k");
        Map<String, Path> full = PushBackups.targets(dir, g, "0000.full", null);
        PushBackups.run(hv, g.name(), PushBackups.backupXml(null, full), PushBackups.checkpointXml("vc.0", g.targets()));
        Qemu.assertClean(full.get("vda"));
        String saved = hv.checkpointXml(g.name(), "vc.0");

        hv.deleteCheckpoint(g.name(), "vc.0", true);
        assertEquals(List.of(), hv.checkpointNames(g.name()));
        hv.redefineCheckpoint(g.name(), saved);
        assertEquals(List.of("vc.0"), hv.checkpointNames(g.name()));

        // The bitmap survived the metadata-only delete, so an incremental backup still works.
        disks.io("vda", "write -P 0x6b 2M 64k");
        Map<String, Path> inc = PushBackups.targets(dir, g, "0001.inc", "0000.full");
        PushBackups.run(hv, g.name(), PushBackups.backupXml("vc.0", inc), PushBackups.checkpointXml("vc.1", g.targets()));
        Qemu.img(dir, "check", inc.get("vda").toString());
        DiskChecks.assertIdentical(dir, inc.get("vda"), DiskChecks.snapshot(hv, dir, g, "vda", "now"));
        assertEquals(64 * 1024, DiskChecks.allocatedInTop(Qemu.img(dir, "map", "--output=json", inc.get("vda").toString())));

        hv.deleteCheckpoint(g.name(), "vc.1", false);
        hv.deleteCheckpoint(g.name(), "vc.0", false);
        assertEquals(List.of(), hv.checkpointNames(g.name()));
    }

    @Test
    void libvirtErrorsAreOneLineNamingTheObject(@TempDir Path dir) throws Exception {
        HypervisorException missing = assertThrows(HypervisorException.class, () -> hv.domain("no-such-vm"));
        assertEquals("domain no-such-vm: no such domain on " + hv.uri(), missing.getMessage());
        assertTrue(missing.isNoDomain());

        TestGuest g = env.startGuest(dir, "vc-errors", 1, DISK_SIZE);
        HypervisorException noCheckpoint = assertThrows(HypervisorException.class,
                () -> hv.checkpointXml(g.name(), "vc.9"));
        assertTrue(noCheckpoint.isNoCheckpoint(), noCheckpoint.getMessage());
        assertTrue(noCheckpoint.getMessage().startsWith("domain vc-errors: no checkpoint named vc.9"),
                noCheckpoint.getMessage());

        // An incremental backup from a checkpoint that does not exist: libvirt's words, one line.
        Map<String, Path> inc = PushBackups.targets(dir, g, "0001.inc", null);
        HypervisorException badInc = assertThrows(HypervisorException.class,
                () -> hv.backupBegin(g.name(), PushBackups.backupXml("vc.9", inc), null));
        assertTrue(badInc.getMessage().startsWith("domain vc-errors: backup begin: "), badInc.getMessage());
        assertFalse(badInc.getMessage().contains("\n"), badInc.getMessage());
        Qemu.assertClean(inc.get("vda")); // the refused job left the writer's empty target as it was

        assertFalse(hv.fsFreeze(g.name()), "no guest agent: freeze reports false, not an error");
        assertFalse(hv.fsThaw(g.name()));
        assertEquals(JobStats.Type.NONE, hv.jobStats(g.name()).type());
    }
}
