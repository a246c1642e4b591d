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
 * @param merged     the seqs of the backups a prune merged into this one (their data is in its files
 *                   now, their records are gone), in seq order; empty for a backup never merged into
 */
public record Backup(int seq, Level level, Instant time, String checkpoint, Integer parentSeq,
        List<DiskBackup> disks, List<Integer> merged) {
    /** A backup nothing was merged into, as a backup run records it. */
    public Backup(int seq, Level level, Instant time, String checkpoint, Integer parentSeq, List<DiskBackup> disks) {
        this(seq, level, time, checkpoint, parentSeq, disks, List.of());
    }

    public Backup {
        if (seq < 0) {
            throw new IllegalArgumentException("seq " + seq + " is negative");
        }
        if (level == null || time == null) {
            throw new IllegalArgumentException("level and time are required");
        }
        if (level.makesCheckpoint() != (checkpoint != null)) {
            throw new IllegalArgumentException(level.makesCheckpoint()
                    ? level.withArticle() + " backup needs its checkpoint"
                    : "a copy has no checkpoint, not '" + checkpoint + "'");
        }
        if (checkpoint != null && !Naming.isCheckpointName(checkpoint)) {
            throw new IllegalArgumentException("'" + checkpoint + "' is not a checkpoint name");
        }
        if (level.hasParent() != (parentSeq != null)) {
            throw new IllegalArgumentException(level.hasParent()
                    ? level.withArticle() + " backup needs its parent seq"
                    : level.withArticle() + " backup has no parent, not " + parentSeq);
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
        java.util.TreeSet<Integer> sorted = new java.util.TreeSet<>();
        for (Integer m : merged) {
            if (m == null || m < 0 || m >= seq) {
                throw new IllegalArgumentException("merged: " + m + " is not the seq of a backup before " + seq);
            }
            if (!sorted.add(m)) {
                throw new IllegalArgumentException("merged: " + m + " is listed twice");
            }
        }
        merged = List.copyOf(sorted);
    }

    /** This backup with {@code more} added to the backups merged into it. */
    public Backup withMerged(java.util.Collection<Integer> more) {
        java.util.TreeSet<Integer> all = new java.util.TreeSet<>(merged);
        all.addAll(more);
        return new Backup(seq, level, time, checkpoint, parentSeq, disks, List.copyOf(all));
    }

    /** The disk with target dev {@code target}, if this backup has it. */
    public Optional<DiskBackup> disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst();
    }
}
