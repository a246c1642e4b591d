package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A backup set written the way the planner writes one (an inc on the newest full, inc or diff, a
 * diff on the newest full, a disk the parent lacks backed up in full), without libvirt: records,
 * file names and sizes. Each backup is taken a day after the one before unless told otherwise.
 */
final class SetBuilder {
    static final String SET = "5e7a1c2b";
    static final Domain VM = new Domain("vm1", UUID.fromString("0f3c2a9e-6b1d-4c55-9a77-2b8e1d4f6a10"));
    /** Full and copy files are this big, incs and diffs a tenth of it, unless told otherwise. */
    static final long FULL_SIZE = 1000;

    private final List<Backup> backups = new ArrayList<>();
    private final Map<String, Long> sizes = new HashMap<>();
    private List<String> disks = List.of("vda");
    private long virtualSize = 1L << 30;
    private Instant next = Instant.parse("2025-03-03T02:00:00Z"); // a Monday

    /** The disks of the backups that follow. */
    SetBuilder disks(String... targets) {
        disks = List.of(targets);
        return this;
    }

    /** The virtual size of the disks of the backups that follow. */
    SetBuilder virtualSize(long bytes) {
        virtualSize = bytes;
        return this;
    }

    /** The time of the next backup, an ISO instant. */
    SetBuilder at(String instant) {
        next = Instant.parse(instant);
        return this;
    }

    int full() {
        return add(Level.FULL, null);
    }

    int copy() {
        return add(Level.COPY, null);
    }

    /** An inc on the newest full, inc or diff. */
    int inc() {
        return incOn(tip().seq());
    }

    int incOn(int parent) {
        return add(Level.INC, parent);
    }

    /** A diff on the newest full. */
    int diff() {
        Backup full = null;
        for (Backup b : backups) {
            if (b.level() == Level.FULL) {
                full = b;
            }
        }
        return add(Level.DIFF, full.seq());
    }

    /** Sets the size of backup {@code seq}'s file for {@code target}. */
    SetBuilder size(int seq, String target, long bytes) {
        sizes.put(file(seq, target), bytes);
        return this;
    }

    String file(int seq, String target) {
        return backups.get(indexOf(seq)).disk(target).orElseThrow().file();
    }

    Manifest manifest() {
        return new Manifest(SET, VM, backups);
    }

    Map<String, Long> sizes() {
        return Map.copyOf(sizes);
    }

    List<Backup> backups() {
        return List.copyOf(backups);
    }

    /** Plans a prune of the set with {@code policy}, now being a day after the last backup, in UTC. */
    PrunePlan prune(RetentionPolicy policy) throws PolicyException {
        return PrunePlan.of(manifest(), Set.of(), policy, clockAfterLast(ZoneId.of("UTC")), sizes());
    }

    Clock clockAfterLast(ZoneId zone) {
        return Clock.fixed(backups.get(backups.size() - 1).time().plus(Duration.ofDays(1)), zone);
    }

    private Backup tip() {
        for (int i = backups.size() - 1; i >= 0; i--) {
            if (backups.get(i).level() != Level.COPY) {
                return backups.get(i);
            }
        }
        throw new IllegalStateException("no full, inc or diff yet");
    }

    private int add(Level level, Integer parentSeq) {
        int seq = backups.size();
        Backup parent = parentSeq == null ? null : backups.get(indexOf(parentSeq));
        List<DiskBackup> ds = new ArrayList<>();
        for (String t : disks) {
            String file = Naming.diskFile(t, seq, level);
            DiskBackup below = parent == null ? null : parent.disk(t).orElse(null);
            Checksum sum = new Checksum(Checksum.CRC32C, String.format("%08x", file.hashCode()));
            ds.add(below == null
                    ? new DiskBackup(t, file, virtualSize, null, 0, sum, DiskMode.FULL)
                    : new DiskBackup(t, file, virtualSize, below.file(), 0, sum, DiskMode.INCREMENTAL));
            sizes.put(file, below == null ? FULL_SIZE : FULL_SIZE / 10);
        }
        String checkpoint = level == Level.COPY ? null : Naming.checkpointName(SET, seq);
        backups.add(new Backup(seq, level, next, checkpoint, parentSeq, ds));
        next = next.plus(Duration.ofDays(1));
        return seq;
    }

    private int indexOf(int seq) {
        for (int i = 0; i < backups.size(); i++) {
            if (backups.get(i).seq() == seq) {
                return i;
            }
        }
        throw new IllegalArgumentException("no backup " + seq);
    }
}
