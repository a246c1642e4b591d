package dev.virtchain.chain;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One finished backup, as the manifest records it.
 *
 * @param seq        its number in the backup set; never reused
 * @param level      full, inc, diff or copy
 * @param time       when it was taken (UTC)
 * @param checkpoint the libvirt checkpoint it created; null for copy
 * @param parentSeq  the backup it builds on; null for full and copy
 * @param disks      its disks, in the domain's order
 */
public record Backup(int seq, Level level, Instant time, String checkpoint, Integer parentSeq,
        List<DiskBackup> disks) {
    public Backup {
        if (seq < 0) {
            throw new IllegalArgumentException("seq " + seq + " is negative");
        }
        if (level == null || time == null) {
            throw new IllegalArgumentException("level and time are required");
        }
        if (level.makesCheckpoint() != (checkpoint != null)) {
            throw new IllegalArgumentException(level.makesCheckpoint()
                    ? "a " + level.word() + " backup needs its checkpoint"
                    : "a copy has no checkpoint, not '" + checkpoint + "'");
        }
        if (checkpoint != null && !Naming.isCheckpointName(checkpoint)) {
            throw new IllegalArgumentException("'" + checkpoint + "' is not a checkpoint name");
        }
        if (level.hasParent() != (parentSeq != null)) {
            throw new IllegalArgumentException(level.hasParent()
                    ? "a " + level.word() + " backup needs its parent seq"
                    : "a " + level.word() + " backup has no parent, not " + parentSeq);
        }
        if (parentSeq != null && parentSeq >= seq) {
            throw new IllegalArgumentException("parent seq " + parentSeq + " is not before seq " + seq);
        }
        disks = List.copyOf(disks);
        if (disks.isEmpty()) {
            throw new IllegalArgumentException("a backup has at least one disk");
        }
        for (int i = 0; i < disks.size(); i++) {
            DiskBackup d = disks.get(i);
            for (int j = 0; j < i; j++) {
                if (disks.get(j).target().equals(d.target())) {
                    throw new IllegalArgumentException("disk " + d.target() + " is listed twice");
                }
            }
            if (!level.hasParent() && d.mode() != DiskMode.FULL) {
                throw new IllegalArgumentException("disk " + d.target() + " of a " + level.word()
                        + " backup must be backed up in full");
            }
        }
    }

    /** The disk with target dev {@code target}, if this backup has it. */
    public Optional<DiskBackup> disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst();
    }
}
