package dev.virtchain.chain;

import dev.virtchain.chain.prune.PruneJournal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The backup set of one directory, as {@code virtchain.json} records it: the set id, the domain
 * and every finished backup in seq order. A backup exists only once the manifest names it.
 *
 * <p>The constructor enforces the rules that tie backups together (seqs increase, an inc or diff
 * has a parent that is in the set, a diff's parent is a full, an incremental disk's backing file is
 * its parent's file for that disk), so a Manifest in hand is always a consistent chain. Breaking a
 * rule is an IllegalArgumentException whose message starts with the field's path, e.g.
 * {@code backups[3].disks[0].backingFile: ...}.
 *
 * <p>After a prune some records may be <em>bases</em>: backups no longer offered as restore points
 * whose files kept points still read (see {@link dev.virtchain.chain.prune.PointFate#BASE}). They
 * stay in {@code backups}, because links and parents run through them, and {@code bases} names
 * them. A prune that is under way is recorded in {@code journal} (null when none is).
 *
 * @param backups every record, restore point or base, in seq order
 * @param bases   the seqs of the records that are bases, not restore points
 * @param journal the prune under way, or null
 */
public record Manifest(String setId, Domain domain, List<Backup> backups, Set<Integer> bases,
        PruneJournal journal) {
    public Manifest {
        Naming.requireSetId(setId);
        if (domain == null) {
            throw new IllegalArgumentException("domain: missing");
        }
        backups = List.copyOf(backups);
        bases = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(bases));
        checkLinks(backups);
        for (int seq : bases) {
            if (backups.stream().noneMatch(b -> b.seq() == seq)) {
                throw new IllegalArgumentException("bases: " + seq + " is not the seq of a backup in the manifest");
            }
        }
    }

    /** A manifest of restore points only, with no prune under way. */
    public Manifest(String setId, Domain domain, List<Backup> backups) {
        this(setId, domain, backups, Set.of(), null);
    }

    /** The manifest of a directory that has no backup yet. */
    public static Manifest empty(String setId, Domain domain) {
        return new Manifest(setId, domain, List.of());
    }

    /** This manifest with {@code backup} added at the end (its seq must be above every seq so far). */
    public Manifest with(Backup backup) {
        List<Backup> all = new ArrayList<>(backups);
        all.add(backup);
        return new Manifest(setId, domain, all, bases, journal);
    }

    /** This manifest recording {@code newDomain} (a renamed domain keeps its UUID). */
    public Manifest withDomain(Domain newDomain) {
        return new Manifest(setId, newDomain, backups, bases, journal);
    }

    /** This manifest with {@code newBackups} as its records and {@code newBases} as its bases. */
    public Manifest withRecords(List<Backup> newBackups, Set<Integer> newBases) {
        return new Manifest(setId, domain, newBackups, newBases, journal);
    }

    /** This manifest recording {@code newJournal} as the prune under way (null: none is). */
    public Manifest withJournal(PruneJournal newJournal) {
        return new Manifest(setId, domain, backups, bases, newJournal);
    }

    /** Whether backup {@code seq} is a restore point: a record that is not a base. */
    public boolean isRestorePoint(int seq) {
        return !bases.contains(seq) && backup(seq).isPresent();
    }

    /** The records that are restore points, in seq order. */
    public List<Backup> restorePoints() {
        return backups.stream().filter(b -> !bases.contains(b.seq())).toList();
    }

    /** The backup numbered {@code seq}. */
    public Optional<Backup> backup(int seq) {
        return backups.stream().filter(b -> b.seq() == seq).findFirst();
    }

    /** The backup that created checkpoint {@code name}. */
    public Optional<Backup> backupWithCheckpoint(String name) {
        return backups.stream().filter(b -> name.equals(b.checkpoint())).findFirst();
    }

    /** The newest backup of any level. */
    public Optional<Backup> latest() {
        return backups.isEmpty() ? Optional.empty() : Optional.of(backups.get(backups.size() - 1));
    }

    /** The newest full backup: the base of the current chain. */
    public Optional<Backup> latestFull() {
        return newest(Level.FULL);
    }

    /** The newest backup of the current chain (full, inc or diff; copies stand outside chains). */
    public Optional<Backup> chainTip() {
        for (int i = backups.size() - 1; i >= 0; i--) {
            if (backups.get(i).level() != Level.COPY) {
                return Optional.of(backups.get(i));
            }
        }
        return Optional.empty();
    }

    /** The highest seq in the manifest, or -1 when it has no backup. */
    public int lastSeq() {
        return backups.isEmpty() ? -1 : backups.get(backups.size() - 1).seq();
    }

    private Optional<Backup> newest(Level level) {
        for (int i = backups.size() - 1; i >= 0; i--) {
            if (backups.get(i).level() == level) {
                return Optional.of(backups.get(i));
            }
        }
        return Optional.empty();
    }

    private static void checkLinks(List<Backup> backups) {
        Map<Integer, Backup> bySeq = new HashMap<>();
        Set<String> files = new HashSet<>();
        Set<String> checkpoints = new HashSet<>();
        int previous = -1;
        for (int i = 0; i < backups.size(); i++) {
            Backup b = backups.get(i);
            String at = "backups[" + i + "]";
            if (b.seq() <= previous) {
                throw new IllegalArgumentException(at + ".seq: " + b.seq() + " is not above the seq before it ("
                        + previous + ")");
            }
            previous = b.seq();
            if (b.checkpoint() != null && !checkpoints.add(b.checkpoint())) {
                throw new IllegalArgumentException(at + ".checkpoint: " + b.checkpoint()
                        + " is already the checkpoint of an earlier backup");
            }
            Backup parent = null;
            if (b.parentSeq() != null) {
                parent = bySeq.get(b.parentSeq());
                if (parent == null) {
                    throw new IllegalArgumentException(at + ".parentSeq: backup " + b.parentSeq()
                            + " is not in the manifest");
                }
                if (parent.level() == Level.COPY) {
                    throw new IllegalArgumentException(at + ".parentSeq: backup " + b.parentSeq()
                            + " is a copy, which no backup builds on");
                }
                if (b.level() == Level.DIFF && parent.level() != Level.FULL) {
                    throw new IllegalArgumentException(at + ".parentSeq: a diff builds on a full backup, backup "
                            + b.parentSeq() + " is " + parent.level().word());
                }
            }
            for (int j = 0; j < b.disks().size(); j++) {
                DiskBackup d = b.disks().get(j);
                String diskAt = at + ".disks[" + j + "]";
                if (!files.add(d.file())) {
                    throw new IllegalArgumentException(diskAt + ".file: " + d.file()
                            + " is already the file of another disk or backup");
                }
                if (d.mode() == DiskMode.INCREMENTAL) {
                    DiskBackup below = parent.disk(d.target()).orElseThrow(() -> new IllegalArgumentException(
                            diskAt + ".mode: disk " + d.target() + " is incremental but parent backup "
                                    + b.parentSeq() + " has no such disk"));
                    if (!below.file().equals(d.backingFile())) {
                        throw new IllegalArgumentException(diskAt + ".backingFile: " + d.backingFile()
                                + " is not the parent's file for " + d.target() + " (" + below.file() + ")");
                    }
                }
            }
            bySeq.put(b.seq(), b);
        }
    }
}
