package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.xml.BackupDisk;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainBackup;
import dev.virtchain.xml.DomainCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What backup begin is asked for, from the domain's disks and the plan. */
class JobRequestTest {
    private static final Path DIR = Path.of("/backup/vm1");
    private static final String CP0 = "virtchain.5e7a1c2b.0000";
    private static final String CP1 = "virtchain.5e7a1c2b.0001";

    /** vda and vdb qcow2, vdc raw, and a cdrom. */
    private static final Domain DOMAIN = parse("<domain type='qemu'><name>vm1</name>"
            + "<uuid>6f1a1d6e-34b4-4c43-9f5c-1f0c1b4e0a01</uuid><memory unit='MiB'>64</memory>"
            + "<os><type arch='x86_64'>hvm</type></os><devices>"
            + disk("vda", "qcow2") + disk("vdb", "qcow2") + disk("vdc", "raw")
            + "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/x.iso'/>"
            + "<target dev='hdc' bus='ide'/><readonly/></disk>"
            + "</devices></domain>");

    private static String disk(String target, String format) {
        return "<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='/vm/" + target
                + "." + format + "'/><target dev='" + target + "' bus='virtio'/></disk>";
    }

    private static Domain parse(String xml) {
        try {
            return Domain.parse(xml);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static PlannedDisk planned(String target, String file, String backing, DiskMode mode) {
        return new PlannedDisk(target, file, 1L << 30, backing, mode);
    }

    private static JobRequest request(BackupPlan plan) {
        return JobRequest.of(DOMAIN, plan, new Targets(DIR, plan));
    }

    @Test
    void anIncBacksUpItsDisksSinceTheCheckpointANewOneWholeAndLeavesTheOthersOut() {
        BackupPlan inc = new BackupPlan(Level.INC, 1, 0, CP0, CP1, List.of(
                planned("vda", "vda.0001.inc.qcow2", "vda.0000.full.qcow2", DiskMode.INCREMENTAL),
                planned("vdb", "vdb.0001.inc.qcow2", null, DiskMode.FULL)), List.of(), List.of());
        JobRequest r = request(inc);
        assertEquals(DomainBackup.since(CP0, List.of(
                BackupDisk.file("vda", "/backup/vm1/vda.0001.inc.qcow2.partial"),
                BackupDisk.file("vdb", "/backup/vm1/vdb.0001.inc.qcow2.partial").withFullCopy(),
                BackupDisk.skipped("vdc"))), r.backup(), "no cdrom, vdc (--exclude) left out");
        assertEquals(DomainCheckpoint.create(CP1, "virtchain inc backup 1", List.of(CheckpointDisk.tracked("vda"),
                CheckpointDisk.tracked("vdb"), CheckpointDisk.untracked("vdc"))), r.checkpoint());
    }

    @Test
    void aFullTracksOnlyTheDisksThatCanCarryABitmap() {
        BackupPlan full = new BackupPlan(Level.FULL, 0, null, null, CP0, List.of(
                planned("vda", "vda.0000.full.qcow2", null, DiskMode.FULL),
                planned("vdc", "vdc.0000.full.qcow2", null, DiskMode.FULL)), List.of(), List.of());
        JobRequest r = request(full);
        assertEquals(DomainBackup.full(List.of(BackupDisk.file("vda", "/backup/vm1/vda.0000.full.qcow2.partial"),
                BackupDisk.skipped("vdb"), BackupDisk.file("vdc", "/backup/vm1/vdc.0000.full.qcow2.partial"))),
                r.backup(), "a full copies every disk whole: no backupmode of its own");
        assertEquals(List.of(CheckpointDisk.tracked("vda"), CheckpointDisk.untracked("vdb"),
                CheckpointDisk.untracked("vdc")), r.checkpoint().disks(), "vdc is raw");
    }

    @Test
    void aCopyCreatesNoCheckpoint() throws Exception {
        BackupPlan copy = new BackupPlan(Level.COPY, 2, null, null, null, List.of(
                planned("vda", "vda.0002.copy.qcow2", null, DiskMode.FULL)), List.of(), List.of());
        JobRequest r = request(copy);
        assertNull(r.checkpoint());
        assertNull(r.checkpointXml());
        assertEquals(r.backup(), DomainBackup.parse(r.backupXml()));
    }
}
