package dev.virtchain.app.prune;

import dev.virtchain.app.cli.LocalDirectory;
import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.Trace;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.prune.KeepReason;
import dev.virtchain.chain.prune.PointDecision;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.PruneStep;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prune",
        mixinStandardHelpOptions = true,
        description = {"Drop old backups of DIR by keep rules, without a new full: a dropped backup's data is merged",
                "into the one backup that reads it, a dropped backup that several kept ones read stays on disk as",
                "their base, files no kept backup reads are deleted, and the domain's checkpoints of dropped",
                "backups are deleted through -c's URI. Every kept backup reads exactly as before at every moment;",
                "the manifest journals each step, and the next virtchain command on DIR finishes a prune that was",
                "interrupted. --dry-run prints the plan and changes nothing.",
                "",
                RetentionPolicy.HOW_RULES_COUNT,
                ""},
        footer = {"",
                "When the domain or libvirt cannot be reached, the files are pruned and the checkpoint deletions",
                "are left for the next backup or prune, which says so.",
                "",
                "Examples:",
                "  virtchain prune /backup/web01 --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --dry-run",
                "  virtchain prune /backup/web01 --keep-last 10",
                "  virtchain prune /backup/web01 --keep-within 14d --keep-monthly 6 --json",
                "  virtchain prune /backup/web01 --keep-last 10 --wait",
                "",
                "A prune never writes into files that a running restore, verify or boot of",
                "DIR reads: it fails at once naming it (a boot: stop it with",
                "'virtchain boot --stop NAME'), or with --wait waits until it ends.",
                "'virtchain backup --keep-...' prunes the same way right after a backup."})
public final class PruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    LocalDirectory dir;

    @Mixin
    RetentionOptions keep;

    @Option(names = "--dry-run", description = "Print the plan and change nothing.")
    boolean dryRun;

    @Mixin
    ConnectOption connect;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Trace.mark("prune: options parsed");
        RetentionPolicy policy = keep.policy();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Clock clock = Clock.systemDefaultZone();
        try (DirectoryLock lock = DirectoryLock.acquire(dir.dir())) {
            if (dryRun) {
                // Finishing an interrupted prune is what every command does first; a dry run needs no libvirt.
                Manifest m = InterruptedPrune.finishBesideReaders(dir.dir(), null, err)
                        .orElseThrow(() -> Prune.noManifest(dir.dir()));
                PrunePlan plan = PrunePlan.of(m, policy, clock, Prune.sizes(dir.dir(), m));
                print(out, m, policy, plan, null);
                return 0;
            }
            // Connecting takes a while; the file steps do not need it (see PendingConnection).
            try (PendingConnection hv = PendingConnection.start(connect.uri())) {
                Trace.mark("prune: directory locked");
                Prune.Result r = Prune.run(dir.dir(), hv, policy, clock, keep.await(), err);
                print(out, r.before(), policy, r.plan(), r.outcome());
                if (!r.outcome().checkpointsLeft().isEmpty()) {
                    err.println(checkpointsLeftLine(r, hv.unreachable()));
                    err.flush();
                }
                Trace.mark("prune: printed");
                return 0;
            }
        }
    }

    /** The line that says which checkpoint deletions wait for the next backup, and why. */
    public static String checkpointsLeftLine(Prune.Result r, String unreachable) {
        return "virtchain: files pruned; the deletion of " + r.outcome().checkpointsLeft().size()
                + " checkpoint(s) of " + r.before().domain().name() + " is left for the next backup: "
                + (unreachable != null ? unreachable : r.outcome().whyLeft());
    }

    /** The plan (and, after a run, what it left), as text or JSON: the same plan object the run executed. */
    private void print(PrintWriter out, Manifest m, RetentionPolicy policy, PrunePlan plan, PruneRun.Outcome o) {
        if (json.json()) {
            out.println(Json.pretty(json(policy, plan, o)));
            out.flush();
            return;
        }
        out.printf("%s %s (domain %s): %s%n", dryRun ? "plan to prune" : "pruned", dir.dir(), m.domain().name(),
                policy.describe());
        for (PointDecision p : plan.points()) {
            Backup b = p.backup();
            out.printf("  %-5d %-5s %-20s %s%n", b.seq(), b.level().word(),
                    b.time().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), fate(p));
        }
        if (plan.isEmpty()) {
            out.println("nothing to prune");
        } else {
            out.println(dryRun ? "steps:" : "steps done:");
            for (PruneStep s : plan.steps()) {
                out.println("  " + step(s));
            }
            out.printf("estimates: %s to copy, %s to %s freed%n", mib(plan.bytesToCopy()),
                    mib(plan.bytesFreedAtLeast()), mib(plan.bytesFreedAtMost()));
        }
        out.flush();
    }

    private static String fate(PointDecision p) {
        String deps = String.join(", ", p.dependents().stream().map(String::valueOf).toList());
        return switch (p.fate()) {
            case KEEP -> "keep (" + String.join(", ", p.reasons().stream().map(KeepReason::text).toList()) + ")";
            case MERGE -> "drop: merge into " + deps;
            case BASE -> (p.listed() ? "drop: " : "") + "stays as base of " + deps;
            case DELETE -> "drop: delete";
        };
    }

    private static String step(PruneStep s) {
        if (s instanceof PruneStep.Commit c) {
            return "merge " + c.target() + ": commit " + c.top()
                    + (c.through().isEmpty() ? "" : " (through " + String.join(", ", c.through()) + ")")
                    + " into " + c.into() + ", " + mib(c.bytesToCopy()) + " to copy (estimate)";
        } else if (s instanceof PruneStep.Rename r) {
            return "rename " + r.from() + " over " + r.to();
        } else if (s instanceof PruneStep.DeleteFile f) {
            return "delete " + f.file() + " (" + mib(f.bytes()) + ")";
        } else if (s instanceof PruneStep.DeleteSavedFiles d) {
            return "delete the domain XML and boot files saved with backup " + d.seq();
        } else if (s instanceof PruneStep.DeleteCheckpoint c) {
            return "delete checkpoint " + c.checkpoint();
        } else if (s instanceof PruneStep.ManifestUpdate u) {
            return "update the manifest (" + u.changes().size() + " change" + (u.changes().size() == 1 ? "" : "s") + ")";
        }
        throw new IllegalArgumentException("unknown step " + s);
    }

    private Map<String, Object> json(RetentionPolicy policy, PrunePlan plan, PruneRun.Outcome o) {
        return json(dir.dir(), policy, plan, o, dryRun);
    }

    /** The plan and what a run left, as {@code prune --json} prints it and {@code backup --keep-* --json} embeds it. */
    public static Map<String, Object> json(Path dir, RetentionPolicy policy, PrunePlan plan, PruneRun.Outcome o,
            boolean dryRun) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("dir", dir.toAbsolutePath().toString());
        root.put("policy", policy.describe());
        root.put("dry-run", dryRun);
        List<Object> points = new ArrayList<>();
        for (PointDecision p : plan.points()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("seq", p.seq());
            pm.put("level", p.backup().level().word());
            pm.put("time", p.backup().time().toString());
            pm.put("listed", p.listed());
            pm.put("fate", p.fate().word());
            pm.put("reasons", p.reasons().stream().map(KeepReason::text).toList());
            pm.put("dependents", p.dependents());
            points.add(pm);
        }
        root.put("points", points);
        List<Object> steps = new ArrayList<>();
        for (PruneStep s : plan.steps()) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("step", s.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase());
            sm.put("text", step(s));
            steps.add(sm);
        }
        root.put("steps", steps);
        Map<String, Object> est = new LinkedHashMap<>();
        est.put("bytes-to-copy", plan.bytesToCopy());
        est.put("bytes-freed-at-least", plan.bytesFreedAtLeast());
        est.put("bytes-freed-at-most", plan.bytesFreedAtMost());
        root.put("estimates", est);
        if (o != null) {
            root.put("checkpoints-left", o.checkpointsLeft());
            root.put("why-left", o.whyLeft());
        }
        return root;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
