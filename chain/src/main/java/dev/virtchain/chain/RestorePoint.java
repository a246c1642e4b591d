package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** A point in time resolved against a manifest: the backup and, per disk, its chain of files. */
public record RestorePoint(Backup backup, List<DiskChain> disks) {
    public RestorePoint {
        disks = List.copyOf(disks);
    }

    /** The chain of disk {@code target}. */
    public DiskChain disk(String target) throws ChainException {
        for (DiskChain d : disks) {
            if (d.target().equals(target)) {
                return d;
            }
        }
        throw new ChainException(ErrorKind.NOT_FOUND, "backup " + backup.seq() + " has no disk " + target + " (it has "
                + String.join(", ", disks.stream().map(DiskChain::target).toList()) + ")");
    }

    /** Resolves {@code at} in {@code m}: which backup, and per disk the files from it down to its full. */
    public static RestorePoint resolve(Manifest m, PointInTime at) throws ChainException {
        if (m.backups().isEmpty()) {
            throw new ChainException(ErrorKind.NOT_FOUND, "the backup set has no backups yet", "run a backup first");
        }
        Backup b = find(m, at);
        return new RestorePoint(b, chains(m, b));
    }

    /**
     * Per disk of record {@code b} (a restore point or a base), the files it reads, from its own
     * down to the disk's full.
     */
    public static List<DiskChain> chains(Manifest m, Backup b) {
        List<DiskChain> chains = new ArrayList<>();
        for (DiskBackup top : b.disks()) {
            chains.add(chainOf(m, b, top));
        }
        return chains;
    }

    /** The restore point {@code at} names; a base left by a prune is none. */
    private static Backup find(Manifest m, PointInTime at) throws ChainException {
        Backup b = findRecord(m, at);
        if (!m.isRestorePoint(b.seq())) {
            throw new ChainException(ErrorKind.NOT_FOUND, "backup " + b.seq() + " was pruned: its files stay only as"
                    + " the base of later backups, it is no restore point any more", "virtchain list shows the points");
        }
        return b;
    }

    private static Backup findRecord(Manifest m, PointInTime at) throws ChainException {
        if (at instanceof PointInTime.Latest) {
            return m.latest().orElseThrow();
        }
        if (at instanceof PointInTime.Seq s) {
            return m.backup(s.seq()).orElseThrow(() -> new ChainException(ErrorKind.NOT_FOUND,
                    "there is no backup " + s.seq()
                    + " (backups " + m.backups().get(0).seq() + " to " + m.lastSeq() + ")"));
        }
        if (at instanceof PointInTime.Checkpoint c) {
            return m.backupWithCheckpoint(c.name()).orElseThrow(() -> new ChainException(ErrorKind.NOT_FOUND,
                    "no backup created checkpoint " + c.name()));
        }
        PointInTime.Time t = (PointInTime.Time) at;
        Backup found = null;
        for (Backup b : m.restorePoints()) {
            if (!b.time().isAfter(t.time())) {
                found = b; // backups are in seq order, which is time order
            }
        }
        if (found == null) {
            throw new ChainException(ErrorKind.NOT_FOUND, "no backup was taken at or before "
                    + DateTimeFormatter.ISO_INSTANT.format(t.time()) + " (the first is from "
                    + DateTimeFormatter.ISO_INSTANT.format(m.restorePoints().get(0).time()) + ")");
        }
        return found;
    }

    /** Follows parent seqs, as the manifest guarantees each incremental disk's parent has the disk. */
    private static DiskChain chainOf(Manifest m, Backup b, DiskBackup top) {
        List<DiskBackup> layers = new ArrayList<>();
        DiskBackup d = top;
        Backup at = b;
        layers.add(d);
        while (d.mode() == DiskMode.INCREMENTAL) {
            at = m.backup(at.parentSeq()).orElseThrow();
            d = at.disk(d.target()).orElseThrow();
            layers.add(d);
        }
        return new DiskChain(top.target(), layers);
    }
}
