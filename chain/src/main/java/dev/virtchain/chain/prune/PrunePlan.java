package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@code virtchain prune} does to a backup set: which points stay and go, with the rules that
 * keep each, and the file operations that realise it (docs/DESIGN.md, "Retention: prune"). A pure
 * function of the manifest, the policy, a clock (whose zone counts the periods) and the files'
 * sizes; {@code --dry-run} prints it, and the executor runs exactly these steps.
 *
 * <p>Per backup (see {@link PointFate}): a kept point stays a restore point. A dropped backup no
 * kept point reads is deleted. A dropped backup whose files exactly one backup reads is merged into
 * that one: its dependent is committed into its file, which then takes the dependent's name; a line
 * of such backups is merged in one commit that copies each cluster once. A dropped backup that two or
 * more backups read stays on disk as a base, no longer listed, until a later prune finds at most
 * one reader; copying it into each would store its data twice. Copies stand outside chains and
 * are only kept or deleted. A point whose base was merged into it becomes a full backup in the
 * manifest (its file keeps its name: names do not change in a prune, links are what count).
 *
 * <p>The steps keep every kept point readable at every moment: see {@link PruneStep}.
 *
 * @param points            every backup before the prune, in seq order, with its fate
 * @param steps             what to do, in order
 * @param recordsAfter      the manifest's records after the last step (checksums of merged files are
 *                          the old ones: see {@link ManifestChange.Rewrite})
 * @param basesAfter        which of those are bases, not restore points
 * @param bytesToCopy       estimate: what the commits read and write (the sizes of the files merged
 *                          into others)
 * @param bytesFreedAtLeast estimate: the sizes of the files no kept point reads. Merges free only
 *                          the clusters the merged data overwrites, which only reading the files can tell
 * @param bytesFreedAtMost  estimate: that plus what the merges copy, had all of it overwritten old data
 */
public record PrunePlan(List<PointDecision> points, List<PruneStep> steps, List<Backup> recordsAfter,
        Set<Integer> basesAfter, long bytesToCopy, long bytesFreedAtLeast, long bytesFreedAtMost) {
    public PrunePlan {
        points = List.copyOf(points);
        steps = List.copyOf(steps);
        recordsAfter = List.copyOf(recordsAfter);
        basesAfter = Set.copyOf(basesAfter);
    }

    /**
     * Plans the prune of {@code manifest} under {@code policy}, the manifest's own {@link Manifest#bases()}
     * being the bases left by earlier prunes.
     *
     * @throws PolicyException a policy without a rule: a usage error
     */
    public static PrunePlan of(Manifest manifest, RetentionPolicy policy, Clock clock, Map<String, Long> sizes)
            throws PolicyException {
        return of(manifest, manifest.bases(), policy, clock, sizes);
    }

    /**
     * Plans the prune of {@code manifest} under {@code policy}.
     *
     * @param manifest the backup set's records
     * @param bases    the seqs of records that are bases left by an earlier prune, not restore points:
     *                 no rule keeps them, and they go as soon as at most one backup reads them
     * @param policy   the keep rules; one without any rule is refused
     * @param clock    its zone counts hours, days, weeks, months and years (the host's zone for the
     *                 CLI, a fixed one in tests); its instant is "now", which --keep-within needs
     *                 to ignore backups stamped in the future
     * @param sizes    the size in bytes of every file the manifest names, for the estimates
     * @throws PolicyException a policy without a rule: a usage error
     */
    public static PrunePlan of(Manifest manifest, Set<Integer> bases, RetentionPolicy policy, Clock clock,
            Map<String, Long> sizes) throws PolicyException {
        policy.requireRule();
        SortedMap<Integer, Backup> records = new TreeMap<>();
        for (Backup b : manifest.backups()) {
            records.put(b.seq(), b);
            for (DiskBackup d : b.disks()) {
                if (!sizes.containsKey(d.file())) {
                    throw new IllegalArgumentException("no size given for " + d.file());
                }
            }
        }
        if (!records.keySet().containsAll(bases)) {
            throw new IllegalArgumentException("bases " + bases + " are not all backups of the set");
        }
        Set<Integer> listed = new HashSet<>(records.keySet());
        listed.removeAll(bases);
        List<Backup> restorePoints = records.values().stream().filter(b -> listed.contains(b.seq())).toList();
        Map<Integer, List<KeepReason>> kept = Retention.apply(restorePoints, policy, clock);

        Dependencies deps = new Dependencies(records, kept.keySet());
        StepPlanner planner = new StepPlanner(records, listed, deps, sizes);
        List<PruneStep> steps = planner.plan();

        Map<Integer, Integer> mergedInto = deps.mergedInto();
        List<PointDecision> points = new ArrayList<>();
        for (Backup b : records.values()) {
            PointFate fate = deps.fate(b.seq());
            List<Integer> dependents = switch (fate) {
                case MERGE -> List.of(mergedInto.get(b.seq()));
                case BASE -> deps.readers(b.seq()).stream().map(r -> mergedInto.getOrDefault(r, r)).toList();
                default -> List.of();
            };
            points.add(new PointDecision(b, listed.contains(b.seq()), fate, kept.getOrDefault(b.seq(), List.of()),
                    dependents));
        }
        long copy = 0;
        long unread = 0;
        for (PruneStep s : steps) {
            if (s instanceof PruneStep.Commit c) {
                copy += c.bytesToCopy();
            }
        }
        for (Backup b : records.values()) {
            for (DiskBackup d : b.disks()) {
                if (!deps.needed(d.file())) {
                    unread += sizes.get(d.file());
                }
            }
        }
        return new PrunePlan(points, steps, planner.records(), planner.bases(), copy, unread, unread + copy);
    }

    /** The seqs of the points that stay restore points. */
    public List<Integer> kept() {
        return points.stream().filter(p -> p.fate() == PointFate.KEEP).map(PointDecision::seq).toList();
    }

    /** The decision about backup {@code seq}. */
    public PointDecision point(int seq) {
        return points.stream().filter(p -> p.seq() == seq).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no backup " + seq));
    }

    /** Whether the prune changes nothing. */
    public boolean isEmpty() {
        return steps.isEmpty();
    }
}
