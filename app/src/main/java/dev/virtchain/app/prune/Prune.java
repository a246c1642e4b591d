package dev.virtchain.app.prune;

import dev.virtchain.app.state.BootState;
import dev.virtchain.chain.ManifestFile;
import java.util.Optional;
import dev.virtchain.app.cli.Trace;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestException;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.prune.PointDecision;
import dev.virtchain.chain.prune.PointFate;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * One prune of a backup directory whose run lock the caller holds: the one code path of
 * {@code prune} and {@code backup --keep-*}. It takes the prune's access ({@link PruneAccess}: no
 * reader, no running boot), finishes an interrupted prune, plans by the policy and runs the plan
 * ({@link PruneRun}).
 */
public final class Prune {
    private Prune() {
    }

    /**
     * What a prune did.
     *
     * @param before  the manifest the plan was made from
     * @param plan    the plan run
     * @param outcome what the run left
     */
    public record Result(Manifest before, PrunePlan plan, PruneRun.Outcome outcome) {
        /** One line for people: the policy, how many backups stay, which went and how. */
        public String summary(Path dir, RetentionPolicy policy) {
            int merged = 0;
            int deleted = 0;
            int bases = 0;
            for (PointDecision p : plan.points()) {
                if (!p.listed()) {
                    continue;
                }
                if (p.fate() == PointFate.MERGE) {
                    merged++;
                } else if (p.fate() == PointFate.DELETE) {
                    deleted++;
                } else if (p.fate() == PointFate.BASE) {
                    bases++;
                }
            }
            String head = "pruned " + dir + " (" + policy.describe() + "): " + plan.kept().size() + " backups kept";
            if (merged + deleted + bases == 0) {
                return head + ", nothing to prune";
            }
            return head + "; " + (merged + deleted + bases) + " dropped: " + merged + " merged into the backup that "
                    + "read it, " + bases + " kept as a base, " + deleted + " deleted";
        }
    }

    /**
     * Prunes {@code dir} by {@code policy}; {@code hv} (null when libvirt cannot be reached) deletes
     * the checkpoints of dropped backups and answers for boots on its URI.
     *
     * @param wait wait for readers and boots of {@code dir} to end instead of failing at once
     */
    public static Result run(Path dir, Hypervisor hv, RetentionPolicy policy, Clock clock, boolean wait,
            PrintWriter err) throws IOException, ChainException, InterruptedException {
        return run(dir, hv == null ? null : PendingConnection.of(hv), policy, clock, wait, err);
    }

    /**
     * As {@link #run(Path, Hypervisor, RetentionPolicy, Clock, boolean, PrintWriter)}, with a
     * connection that may still be opening (null: none): only what needs libvirt waits for it.
     */
    public static Result run(Path dir, PendingConnection hv, RetentionPolicy policy, Clock clock, boolean wait,
            PrintWriter err) throws IOException, ChainException, InterruptedException {
        Hypervisor forBoots = hv == null || BootState.recorded(dir).isEmpty() ? null : hv.get();
        try (PruneAccess access = PruneAccess.take(dir, forBoots, wait, err)) {
            Trace.mark("prune: readers locked out");
            Optional<Manifest> before = ManifestFile.read(dir);
            Hypervisor forJournal = hv == null || before.isEmpty() || before.get().journal() == null ? null : hv.get();
            Manifest m = InterruptedPrune.finishLocked(dir, forJournal, err).orElseThrow(() -> noManifest(dir));
            PrunePlan plan = PrunePlan.of(m, policy, clock, sizes(dir, m));
            Trace.mark("prune: planned");
            CheckpointCleaner cleaner = hv == null ? null : hv.cleaner(m.domain().name(), dir);
            PruneRun.Outcome o = new PruneRun(dir, cleaner).run(m, plan, clock.instant());
            return new Result(m, plan, o);
        }
    }

    static ManifestException noManifest(Path dir) {
        return ManifestFile.missing(dir);
    }

    /** The size of every file the manifest names, for the plan's estimates. */
    public static Map<String, Long> sizes(Path dir, Manifest m) throws IOException {
        Map<String, Long> sizes = new HashMap<>();
        for (Backup b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                sizes.put(d.file(), Files.size(dir.resolve(d.file())));
            }
        }
        return sizes;
    }
}
