package dev.virtchain.app.backup;

import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.xml.BackupDisk;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainBackup;
import dev.virtchain.xml.DomainCheckpoint;
import dev.virtchain.xml.DomainDisk;
import java.util.ArrayList;
import java.util.List;

/**
 * What one run asks of {@code virDomainBackupBegin}: the push backup of the plan's disks into their
 * targets, and the checkpoint the job creates with it.
 *
 * @param backup     every disk of the domain: the planned ones into their partial targets
 *                   (incremental since the plan's checkpoint, or whole), the others left out
 * @param checkpoint the checkpoint of this backup, tracking every planned disk that can carry a
 *                   bitmap; null for a copy
 */
record JobRequest(DomainBackup backup, DomainCheckpoint checkpoint) {

    /** The request for {@code plan} on {@code domain}, writing into {@code targets}. */
    static JobRequest of(Domain domain, BackupPlan plan, Targets targets) {
        List<BackupDisk> disks = new ArrayList<>();
        List<CheckpointDisk> tracked = new ArrayList<>();
        for (DomainDisk d : domain.disks()) {
            if (!d.device().equals("disk")) {
                continue; // cdroms, floppies and luns are no part of a backup or a checkpoint
            }
            PlannedDisk p = plan.disks().stream().filter(x -> x.target().equals(d.targetDev())).findFirst().orElse(null);
            if (p == null) {
                disks.add(BackupDisk.skipped(d.targetDev()));
                tracked.add(CheckpointDisk.untracked(d.targetDev()));
                continue;
            }
            BackupDisk b = BackupDisk.file(d.targetDev(), targets.partial(p).toAbsolutePath().toString());
            if (plan.incremental() != null && p.mode() == DiskMode.FULL) {
                b = b.withFullCopy(); // a disk new since the last backup
            }
            disks.add(b);
            tracked.add(d.canCarryBitmaps() ? CheckpointDisk.tracked(d.targetDev()) : CheckpointDisk.untracked(d.targetDev()));
        }
        DomainBackup backup = plan.incremental() == null ? DomainBackup.full(disks)
                : DomainBackup.since(plan.incremental(), disks);
        DomainCheckpoint checkpoint = plan.checkpoint() == null ? null
                : DomainCheckpoint.create(plan.checkpoint(), "virtchain " + plan.level().word() + " backup "
                        + plan.seq(), tracked);
        return new JobRequest(backup, checkpoint);
    }

    /** The first argument of backup begin. */
    String backupXml() {
        return backup.toXml();
    }

    /** The second argument of backup begin: null for a job that creates no checkpoint. */
    String checkpointXml() {
        return checkpoint == null ? null : checkpoint.toXml();
    }
}
