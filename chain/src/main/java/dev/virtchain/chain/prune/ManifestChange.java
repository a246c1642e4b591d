package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import java.util.List;

/**
 * One change a {@link PruneStep.ManifestUpdate} makes to the manifest's records. A record is a
 * backup the manifest knows; a listed record is a restore point, an unlisted one is a base: a
 * dropped point whose files kept points still read. The changes of one update are applied together
 * and written atomically; after each update the records (listed or not) obey every rule of
 * {@link dev.virtchain.chain.Manifest} and name exactly the backup files on disk.
 */
public sealed interface ManifestChange {
    /** Backup {@code seq} is no longer a restore point; its record stays while its files do. */
    record Unlist(int seq) implements ManifestChange {
    }

    /** The record of backup {@code seq} goes: none of its files is left under its name. */
    record Forget(int seq) implements ManifestChange {
    }

    /**
     * The record of {@code after.seq()} becomes {@code after}: its parent, level, disks, or a
     * disk's backing file and mode have changed (a merge, a deleted disk of a base, a parent that
     * went away). For the disks named in {@code recomputeChecksums} the file's bytes changed: the
     * checksum {@code after} carries for them is the old one, and the executor records the checksum
     * of the file as it is on disk instead.
     */
    record Rewrite(Backup after, List<String> recomputeChecksums) implements ManifestChange {
        public Rewrite {
            recomputeChecksums = List.copyOf(recomputeChecksums);
        }
    }
}
