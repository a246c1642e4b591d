package dev.virtchain.chain.prune;

import java.util.List;

/**
 * One step of a prune, as {@link PrunePlan} orders them for an executor that journals each one
 * (intent, then done) and, after a crash, finishes the interrupted step before anything else.
 * File names are plain names in the backup directory.
 *
 * <p><b>The invariant.</b> Before and after every step, every kept point reads exactly what it read
 * before the prune: each file of its chain exists, links to the next one, and together they
 * give the same guest data. The steps keep it because:
 * <ul>
 * <li>the first step unlists every dropped point, so no point whose files later steps write or
 *     delete is offered to restore, boot or verify any more;</li>
 * <li>a file is deleted only when no kept point reads it;</li>
 * <li>a {@link Commit} writes only into a file that kept points read through {@code top} alone,
 *     and only clusters that {@code top} or a file between them holds, which hide those
 *     clusters of {@code into} from every kept point;</li>
 * <li>a {@link Rename} replaces {@code top} with a file that reads the same, atomically.</li>
 * </ul>
 * The manifest agrees with the files after every {@link ManifestUpdate}, not in between: from a
 * run's first rename to its update it still names the top's old backing file and the files
 * between, which are deleted in that window (the data kept points read is right, the recorded
 * links are not), and from the first deletion of unread files to the update after them it names
 * files that are gone. A journal that finishes the interrupted update closes both windows.
 */
public sealed interface PruneStep {
    /**
     * Copies into {@code into}, for every cluster that {@code top} or one of {@code through}
     * holds, the version {@code top} reads (the uppermost one): qemu-img commit {@code -b into top},
     * leaving {@code top} and {@code through} as they are. {@code through} lists the files between
     * them from the top down ({@code top}'s backing file first); {@code top}'s chain must reach
     * {@code into} through exactly these. Each cluster is copied once, however deep the run.
     * Afterwards {@code into} has {@code virtualSize} (top's: it grows, or is cut when it was larger).
     * Backup files are read-only: {@code into} is writable only while the commit runs.
     *
     * @param target      the disk, for messages
     * @param bytesToCopy estimate: the sizes of {@code top} and {@code through}
     */
    record Commit(String target, String into, List<String> through, String top, long virtualSize,
            long bytesToCopy) implements PruneStep {
        public Commit {
            through = List.copyOf(through);
        }
    }

    /**
     * Renames {@code from} to {@code to}, atomically replacing {@code to} (rename(2), then fsync
     * the directory). Files that link to {@code to} by name now read
     * {@code from}'s data, which is why a merged file takes its top's name: no other file's
     * header is rewritten.
     *
     * @param bytesReplaced estimate: the size of the old {@code to}, freed
     */
    record Rename(String from, String to, long bytesReplaced) implements PruneStep {
    }

    /** Deletes backup file {@code file}, which no kept point reads. */
    record DeleteFile(String file, long bytes) implements PruneStep {
    }

    /**
     * Deletes what a backup saved beside its disks: the domain XML {@code domain.SEQ.xml} and the
     * boot files ({@code nvram.SEQ.fd}, {@code kernel.SEQ}, {@code initrd.SEQ}) where they exist.
     * Only a restore point needs them.
     */
    record DeleteSavedFiles(int seq) implements PruneStep {
    }

    /**
     * Deletes libvirt checkpoint {@code checkpoint} of the domain (merging its bitmap into its
     * parent's, as libvirt does) and its saved XML {@code checkpoints/<name>.xml}. Where the domain
     * is gone or unreachable the executor leaves it for the next backup and says so.
     */
    record DeleteCheckpoint(String checkpoint) implements PruneStep {
    }

    /** Writes the manifest with {@code changes} applied, atomically. */
    record ManifestUpdate(List<ManifestChange> changes) implements PruneStep {
        public ManifestUpdate {
            changes = List.copyOf(changes);
            if (changes.isEmpty()) {
                throw new IllegalArgumentException("a manifest update changes something");
            }
        }
    }
}
