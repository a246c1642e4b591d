package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Orders the steps that carry out the backups' fates ({@link Dependencies}), keeping the records
 * the manifest will hold after each step, so that every update is computed from the one before.
 * The order, and why:
 *
 * <ol>
 * <li>Unlist every dropped point, before any file is touched: from then on no restore, boot or
 *     verify is offered a point whose files are about to change.</li>
 * <li>Delete the files no kept point reads, and what the dropped points saved beside them; update
 *     the records (a dropped backup none of whose files is read goes). This frees space before the
 *     merges need some.</li>
 * <li>Merge each run of dropped backups into the kept point (or base) above it, disk by disk:
 *     commit the top and the files between into the lowest file of the run, rename that file over
 *     the top, delete the files between; then rewrite the top's record.</li>
 * <li>Delete the checkpoints of the backups that leave the disk (merged or deleted), but not the
 *     one the chain's base (after the prune) was taken with: the next diff is taken against it.
 *     A point that stays as a base keeps its checkpoint: once the backups below it are merged into
 *     it, a later prune makes it the chain's base, and the next diff needs that checkpoint then.
 *     The newest full, inc or diff is always kept, so the next inc's checkpoint stays too. Last,
 *     because a domain that cannot be reached only delays these.</li>
 * </ol>
 */
final class StepPlanner {
    private final SortedMap<Integer, Backup> before;
    private final Set<Integer> listedBefore;
    private final Dependencies deps;
    private final Map<String, Long> sizes;
    private final TreeMap<Integer, Backup> records;
    private final Set<Integer> unlisted = new TreeSet<>();
    private final List<PruneStep> steps = new ArrayList<>();

    StepPlanner(SortedMap<Integer, Backup> before, Set<Integer> listedBefore, Dependencies deps,
            Map<String, Long> sizes) {
        this.before = before;
        this.listedBefore = listedBefore;
        this.deps = deps;
        this.sizes = sizes;
        this.records = new TreeMap<>(before);
        for (int seq : before.keySet()) {
            if (!listedBefore.contains(seq)) {
                unlisted.add(seq);
            }
        }
    }

    List<PruneStep> plan() {
        unlistDropped();
        deleteUnread();
        for (Map.Entry<Integer, PointFate> e : deps.fates().entrySet()) {
            if (e.getValue() == PointFate.KEEP || e.getValue() == PointFate.BASE) {
                merge(e.getKey(), deps.run(e.getKey()));
            }
        }
        deleteCheckpoints();
        return List.copyOf(steps);
    }

    /** The records after the last step, in seq order. */
    List<Backup> records() {
        return List.copyOf(records.values());
    }

    /** The seqs of the records that are bases, not restore points, after the last step. */
    Set<Integer> bases() {
        return Set.copyOf(unlisted);
    }

    private boolean newlyDropped(int seq) {
        return listedBefore.contains(seq) && deps.fate(seq) != PointFate.KEEP;
    }

    private void unlistDropped() {
        Update u = new Update();
        for (int seq : before.keySet()) {
            if (newlyDropped(seq)) {
                u.unlist(seq);
            }
        }
        u.emit();
    }

    private void deleteUnread() {
        Update u = new Update();
        List<Integer> gone = new ArrayList<>();
        for (Backup b : before.values()) {
            List<DiskBackup> stay = new ArrayList<>();
            for (DiskBackup d : b.disks()) {
                if (deps.needed(d.file())) {
                    stay.add(d);
                } else {
                    steps.add(new PruneStep.DeleteFile(d.file(), size(d.file())));
                }
            }
            if (newlyDropped(b.seq())) {
                steps.add(new PruneStep.DeleteSavedFiles(b.seq()));
            }
            if (stay.isEmpty()) {
                gone.add(0, b.seq());
            } else if (stay.size() < b.disks().size()) {
                u.rewrite(new Backup(b.seq(), b.level(), b.time(), b.checkpoint(), b.parentSeq(), stay, b.merged()),
                        List.of());
            }
        }
        for (int seq : gone) { // newest first: a parent goes after the children that went with it
            u.forget(seq);
        }
        u.emit();
    }

    /**
     * Merges {@code run} (from {@code top}'s parent down) into {@code top}. Per disk of the top that
     * links into the run, the lowest file of the run on that disk's line receives the data and
     * takes the top's name, so every file that links to the top by name stays right and no header
     * but the receiving file's is written. Relinking the top's dependents to the receiving file
     * instead would rewrite their headers (a link switch is two writes, and a kill between them
     * leaves a wrong link) and their checksums, for nothing a rename does not give atomically.
     */
    private void merge(int top, List<Integer> run) {
        if (run.isEmpty()) {
            return;
        }
        Backup t = records.get(top);
        List<DiskBackup> disks = new ArrayList<>();
        List<String> recompute = new ArrayList<>();
        List<String> between = new ArrayList<>();
        for (DiskBackup d : t.disks()) {
            if (d.mode() != DiskMode.INCREMENTAL) {
                disks.add(d);
                continue;
            }
            List<DiskBackup> below = new ArrayList<>();
            Backup at = t;
            DiskBackup line = d;
            while (line.mode() == DiskMode.INCREMENTAL && run.contains(at.parentSeq())) {
                at = records.get(at.parentSeq());
                line = at.disk(d.target()).orElseThrow();
                below.add(line);
            }
            DiskBackup into = below.get(below.size() - 1);
            List<String> through = below.subList(0, below.size() - 1).stream().map(DiskBackup::file).toList();
            long bytes = size(d.file()) + through.stream().mapToLong(this::size).sum();
            steps.add(new PruneStep.Commit(d.target(), into.file(), through, d.file(), d.virtualSize(), bytes));
            steps.add(new PruneStep.Rename(into.file(), d.file(), size(d.file())));
            between.addAll(through);
            disks.add(new DiskBackup(d.target(), d.file(), d.virtualSize(), into.backingFile(), d.bytesWritten(),
                    d.checksum(), into.mode()));
            recompute.add(d.target());
        }
        for (String f : between) {
            steps.add(new PruneStep.DeleteFile(f, size(f)));
        }
        Integer parent = records.get(run.get(run.size() - 1)).parentSeq();
        Level level = parent == null ? Level.FULL : t.level();
        List<Integer> merged = new ArrayList<>(t.merged());
        for (int s : run) { // and what earlier prunes merged into them
            merged.add(s);
            merged.addAll(records.get(s).merged());
        }
        Update u = new Update();
        u.rewrite(new Backup(t.seq(), level, t.time(), t.checkpoint(), parent, disks, merged), recompute);
        for (int s : run) {
            u.forget(s);
        }
        u.emit();
    }

    private void deleteCheckpoints() {
        Integer tip = null;
        for (Backup b : before.values()) {
            if (deps.fate(b.seq()) == PointFate.KEEP && b.level() != Level.COPY) {
                tip = b.seq();
            }
        }
        String base = null;
        if (tip != null) {
            Backup r = records.get(tip);
            while (r.parentSeq() != null) {
                r = records.get(r.parentSeq());
            }
            base = r.checkpoint();
        }
        for (Backup b : before.values()) {
            PointFate fate = deps.fate(b.seq());
            boolean leaves = fate == PointFate.MERGE || fate == PointFate.DELETE;
            if (leaves && b.checkpoint() != null && !b.checkpoint().equals(base)) {
                steps.add(new PruneStep.DeleteCheckpoint(b.checkpoint()));
            }
        }
    }

    private long size(String file) {
        Long s = sizes.get(file);
        if (s == null) {
            throw new IllegalArgumentException("no size given for " + file);
        }
        return s;
    }

    /** The changes of one manifest update, applied to {@link #records} as they are planned. */
    private final class Update {
        private final List<ManifestChange> unlisted = new ArrayList<>();
        private final List<ManifestChange> forgotten = new ArrayList<>();
        private final Map<Integer, List<String>> rewritten = new TreeMap<>();

        void unlist(int seq) {
            StepPlanner.this.unlisted.add(seq);
            unlisted.add(new ManifestChange.Unlist(seq));
        }

        void rewrite(Backup after, List<String> recompute) {
            records.put(after.seq(), after);
            List<String> all = new ArrayList<>(rewritten.getOrDefault(after.seq(), List.of()));
            all.addAll(recompute);
            rewritten.put(after.seq(), all);
        }

        /**
         * The record goes; a record whose parent it was, and which reads none of its files (every
         * disk backed up in full), loses the parent and becomes a full backup.
         */
        void forget(int seq) {
            records.remove(seq);
            StepPlanner.this.unlisted.remove(seq);
            rewritten.remove(seq);
            forgotten.add(new ManifestChange.Forget(seq));
            for (Backup r : List.copyOf(records.values())) {
                if (r.parentSeq() != null && r.parentSeq() == seq) {
                    rewrite(new Backup(r.seq(), Level.FULL, r.time(), r.checkpoint(), null, r.disks(), r.merged()),
                            List.of());
                }
            }
        }

        void emit() {
            List<ManifestChange> changes = new ArrayList<>(unlisted);
            changes.addAll(forgotten);
            rewritten.forEach((seq, recompute) -> changes.add(new ManifestChange.Rewrite(records.get(seq), recompute)));
            if (!changes.isEmpty()) {
                steps.add(new PruneStep.ManifestUpdate(changes));
            }
        }
    }
}
