package dev.virtchain.chain;

import java.time.Instant;
import java.util.List;

/**
 * What one backup run does, decided before anything is touched.
 *
 * @param level               the level actually used (auto resolved, maybe a full fallback)
 * @param seq                 the new backup's number
 * @param parentSeq           the backup it links to; null for full and copy
 * @param incremental         the checkpoint for libvirt's {@code <incremental>}: the previous
 *                            backup's for inc, the full backup's for diff; null for full and copy
 * @param checkpoint          the checkpoint this run creates; null for copy
 * @param disks               the target files, in the domain's order
 * @param checkpointsToDelete older virtchain checkpoints a full retires, in libvirt's order; delete
 *                            them only once the new backup is in the manifest
 * @param warnings            things the user should hear about (fallbacks, new or resized disks)
 */
public record BackupPlan(Level level, int seq, Integer parentSeq, String incremental, String checkpoint,
        List<PlannedDisk> disks, List<String> checkpointsToDelete, List<String> warnings) {
    public BackupPlan {
        disks = List.copyOf(disks);
        checkpointsToDelete = List.copyOf(checkpointsToDelete);
        warnings = List.copyOf(warnings);
    }

    /** The planned disk with target dev {@code target}. */
    public PlannedDisk disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("disk " + target + " is not in the plan"));
    }

    /** Where the domain XML of this backup is saved: {@code domain.<seq>.xml}. */
    public String domainXml() {
        return Naming.domainXml(seq);
    }

    /** Where the new checkpoint's XML is saved, or null for a copy. */
    public String checkpointXml() {
        return checkpoint == null ? null : Naming.checkpointXml(checkpoint);
    }

    /**
     * The manifest record of this backup once it finished, from {@link PlannedDisk#done} records
     * of exactly the planned disks.
     */
    public Backup done(Instant time, List<DiskBackup> finished) {
        if (finished.size() != disks.size()) {
            throw new IllegalArgumentException("the plan has " + disks.size() + " disks, " + finished.size()
                    + " finished");
        }
        for (int i = 0; i < disks.size(); i++) {
            PlannedDisk p = disks.get(i);
            DiskBackup d = finished.get(i);
            if (!d.equals(p.done(d.bytesWritten(), d.checksum()))) {
                throw new IllegalArgumentException("finished disk " + d + " is not planned disk " + p);
            }
        }
        return new Backup(seq, level, time, checkpoint, parentSeq, finished);
    }
}
