package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Applies a {@link PruneStep.ManifestUpdate}'s changes to a manifest, all together. */
public final class ManifestUpdates {
    /** The checksum of a backup file as it is on disk now. */
    @FunctionalInterface
    public interface Checksums {
        Checksum of(String algorithm, String file) throws IOException;
    }

    private ManifestUpdates() {
    }

    /**
     * {@code m} with {@code update}'s changes applied; the disks a {@link ManifestChange.Rewrite}
     * names for it get the checksum of their file on disk, in the algorithm they had. The journal
     * is left as it is.
     *
     * @throws IllegalArgumentException the records after the update break a rule of {@link Manifest}
     */
    public static Manifest apply(Manifest m, PruneStep.ManifestUpdate update, Checksums checksums)
            throws IOException {
        TreeMap<Integer, Backup> records = new TreeMap<>();
        m.backups().forEach(b -> records.put(b.seq(), b));
        Set<Integer> bases = new TreeSet<>(m.bases());
        for (ManifestChange c : update.changes()) {
            if (c instanceof ManifestChange.Unlist u) {
                bases.add(u.seq());
            } else if (c instanceof ManifestChange.Forget f) {
                records.remove(f.seq());
                bases.remove(f.seq());
            } else if (c instanceof ManifestChange.Rewrite r) {
                List<DiskBackup> disks = new ArrayList<>();
                for (DiskBackup d : r.after().disks()) {
                    if (r.recomputeChecksums().contains(d.target())) {
                        d = new DiskBackup(d.target(), d.file(), d.virtualSize(), d.backingFile(), d.bytesWritten(),
                                checksums.of(d.checksum().algorithm(), d.file()), d.mode());
                    }
                    disks.add(d);
                }
                Backup b = r.after();
                records.put(b.seq(), new Backup(b.seq(), b.level(), b.time(), b.checkpoint(), b.parentSeq(), disks,
                        b.merged()));
            }
        }
        bases.retainAll(records.keySet());
        return m.withRecords(List.copyOf(records.values()), bases);
    }
}
