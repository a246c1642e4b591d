package dev.virtchain.app.prune;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What every command on a backup directory does first (docs/DESIGN.md, "Retention: prune"): finish a
 * prune that was interrupted, so that no command reads or extends a set whose manifest and files
 * disagree. It says so in one line on stderr. File steps are always finished; checkpoint steps only
 * by a command that has a {@link Hypervisor} at hand (backup, prune), otherwise they stay in the
 * journal for the next backup or prune, and the same line says so.
 */
public final class InterruptedPrune {
    private InterruptedPrune() {
    }

    /**
     * For a reader (list, verify, restore, boot): when an interrupted prune left steps that touch files
     * or the manifest, takes the directory lock and the readers lock exclusively, finishes them and
     * lets both go; a busy lock then fails at once with the line that names its holder. Otherwise it
     * takes no lock, so readers run beside a backup (which only appends; the manifest is replaced
     * atomically) and a directory this user cannot write stays readable.
     */
    public static void finishFiles(Path dir, PrintWriter err) throws IOException, ChainException {
        if (!filesPending(dir)) {
            return;
        }
        try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
            finishBesideReaders(dir, null, err);
        }
    }

    /**
     * For a command that reads chain files (verify, restore, boot): finishes an interrupted prune as
     * {@link #finishFiles} does, then takes the readers lock shared, which the caller holds while it
     * reads, so that no prune writes into what it reads. A prune that runs now fails this at once.
     */
    public static ReadersLock readLocked(Path dir, PrintWriter err) throws IOException, ChainException {
        for (int tries = 0; ; tries++) {
            finishFiles(dir, err);
            ReadersLock l = ReadersLock.shared(dir);
            // A prune may have started and died between the two: then finish that one too.
            if (!filesPending(dir) || tries == 3) {
                return l;
            }
            l.close();
        }
    }

    /**
     * For a caller that holds the directory lock but not the readers lock (backup, a dry-run prune):
     * finishes an interrupted prune, its file steps under the readers lock held exclusively (failing at
     * once, naming the reader, when one holds it), its checkpoint steps through {@code hv}.
     */
    public static Optional<Manifest> finishBesideReaders(Path dir, Hypervisor hv, PrintWriter err)
            throws IOException, ChainException {
        if (!filesPending(dir)) {
            return finishLocked(dir, hv, err);
        }
        Optional<ReadersLock> l = ReadersLock.tryExclusive(dir);
        if (l.isEmpty()) {
            List<ReadersLock.Holder> h = ReadersLock.holders(dir);
            throw new ChainException(ErrorKind.CONFLICT, "backup directory " + dir + " has an interrupted prune to "
                    + "finish, but " + (h.isEmpty() ? "another virtchain command" : h.get(0).toString())
                    + " reads it", "wait for it to end and run this again");
        }
        try (ReadersLock held = l.get()) {
            return finishLocked(dir, hv, err);
        }
    }

    private static boolean filesPending(Path dir) throws IOException, ChainException {
        Optional<Manifest> m = ManifestFile.read(dir);
        return m.isPresent() && m.get().journal() != null && m.get().journal().filesPending();
    }

    /**
     * For a caller that holds the directory lock and, when file steps are left, the readers lock
     * exclusively ({@link PruneAccess}): finishes an interrupted prune of {@code dir}, its
     * checkpoint steps through {@code hv} (null: left in the journal). Nothing happens when the
     * directory has no manifest yet or no prune under way.
     *
     * @return the manifest as it is now, or empty when there is none
     */
    public static Optional<Manifest> finishLocked(Path dir, Hypervisor hv, PrintWriter err)
            throws IOException, ChainException {
        Optional<Manifest> read = ManifestFile.read(dir);
        if (read.isEmpty() || read.get().journal() == null) {
            return read;
        }
        Manifest m = read.get();
        PruneJournal j = m.journal();
        boolean cleanerAtHand = hv != null;
        // The line comes after the run, which is when it can say what was left.
        String line = "virtchain: finishing an interrupted prune of " + dir + " (step "
                + Math.min(j.done() + 1, j.steps().size()) + " of " + j.steps().size() + ")";
        CheckpointCleaner cleaner = cleanerAtHand ? new LibvirtCheckpointCleaner(hv, m.domain().name(), dir) : null;
        PruneRun.Outcome o = new PruneRun(dir, cleaner).resume(m);
        if (!o.checkpointsLeft().isEmpty()) {
            line += "; its " + o.checkpointsLeft().size() + " checkpoint deletion(s) are left for the next "
                    + (cleanerAtHand ? "backup or prune: " + o.whyLeft() : "backup or prune");
        }
        err.println(line);
        err.flush();
        return Optional.of(o.manifest());
    }
}
