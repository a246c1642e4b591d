package dev.virtchain.app.backup;

import dev.virtchain.app.cli.BackupDirectory;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.RemoteSet;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.RestorePoint;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list",
        mixinStandardHelpOptions = true,
        description = {"List the backups in a backup directory: levels, times, checkpoints, files and chain links, "
                + "and which backups each point in time reads.",
                "",
                "READS names the backups whose files a point reads, its own first, down to the full "
                + "(a..b: every backup from a down to b). After a prune, a backup that several points still "
                + "read stays on disk as their base, no restore point any more (\"base: no restore point, read by 2, 3\"); "
                + "\"merged 1\" says that a prune merged backup 1 into this one, whose files now hold its data.",
                ""},
        footer = {"",
                "Examples:",
                "  virtchain list /backup/web01",
                "  virtchain list --json /backup/web01 | jq '.backups[-1].seq'",
                "  virtchain list --json /backup/web01 | jq '.backups[-1].reads.vda'",
                "  virtchain list s3://backups/hosts/kvm1/web01 --endpoint http://rgw.example:7480"})
public final class ListCommand implements Callable<Integer> {
    /** A run of at least this many consecutive seqs is printed as {@code a..b}. */
    private static final int RUN = 4;

    @Spec
    CommandSpec spec;

    @Mixin
    JsonOption json;

    @Mixin
    BackupDirectory dir;

    @Mixin
    RemoteOptions remote;

    @Override
    public Integer call() throws Exception {
        Manifest m;
        if (dir.remote().isPresent()) {
            try (RemoteSet set = RemoteSet.open(dir.remote().get(), remote)) {
                m = set.manifest();
            }
        } else {
            InterruptedPrune.finishFiles(dir.dir(), spec.commandLine().getErr());
            m = ManifestFile.load(dir.dir());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.json()) {
            out.println(Json.pretty(json(m)));
        } else {
            text(m, out);
        }
        out.flush();
        return 0;
    }

    private static void text(Manifest m, PrintWriter out) {
        Map<Integer, Set<Integer>> readers = readers(m);
        int cpWidth = "CHECKPOINT".length();
        for (Backup b : m.backups()) {
            cpWidth = Math.max(cpWidth, b.checkpoint() == null ? 1 : b.checkpoint().length());
        }
        String row = "%-5s %-5s %-20s %-6s %-" + cpWidth + "s %s%n";
        out.printf("domain %s (%s), backup set %s%n", m.domain().name(), m.domain().uuid(), m.setId());
        out.printf(row, "SEQ", "LEVEL", "TIME", "PARENT", "CHECKPOINT", "READS");
        for (Backup b : m.backups()) {
            List<DiskChain> chains = RestorePoint.chains(m, b);
            List<Integer> reads = seqsRead(m, b, chains);
            String what;
            if (m.isRestorePoint(b.seq())) {
                what = chain(reads) + (b.merged().isEmpty() ? "" : ", merged " + set(b.merged()));
            } else {
                what = "base: no restore point, read by " + set(readers.getOrDefault(b.seq(), Set.of()));
            }
            out.printf(row, b.seq(), b.level().word(), b.time().truncatedTo(ChronoUnit.SECONDS),
                    b.parentSeq() == null ? "-" : b.parentSeq(), b.checkpoint() == null ? "-" : b.checkpoint(), what);
            for (int i = 0; i < b.disks().size(); i++) {
                DiskBackup d = b.disks().get(i);
                String note = "";
                if (d.mode() == DiskMode.FULL && b.parentSeq() != null) {
                    note = " (full copy: new disk)";
                } else {
                    List<Integer> own = seqs(m, b, chains.get(i));
                    if (!own.equals(reads)) {
                        note = ", reads " + chain(own);
                    }
                }
                out.printf("      %-4s %s%s  size %s, written %s%s%n", d.target(), d.file(),
                        d.backingFile() != null ? " -> " + d.backingFile() : "",
                        BackupCommand.mib(d.virtualSize()), BackupCommand.mib(d.bytesWritten()), note);
            }
        }
    }

    /** The seqs of the backups whose files one disk's chain reads, top first. */
    private static List<Integer> seqs(Manifest m, Backup b, DiskChain chain) {
        List<Integer> seqs = new ArrayList<>();
        Backup at = b;
        for (int i = 0; i < chain.layers().size(); i++) {
            seqs.add(at.seq());
            if (at.parentSeq() != null) {
                at = m.backup(at.parentSeq()).orElseThrow();
            }
        }
        return seqs;
    }

    /** The seqs of the backups whose files {@code b} reads on any disk, top first. */
    private static List<Integer> seqsRead(Manifest m, Backup b, List<DiskChain> chains) {
        List<Integer> longest = List.of(b.seq());
        for (DiskChain c : chains) {
            List<Integer> s = seqs(m, b, c);
            if (s.size() > longest.size()) {
                longest = s; // every disk's chain follows the same parents, so each is a prefix of the longest
            }
        }
        return longest;
    }

    /** Per record, the restore points that read one of its files (itself included when it is one). */
    private static Map<Integer, Set<Integer>> readers(Manifest m) {
        Map<String, Integer> owner = new LinkedHashMap<>();
        for (Backup b : m.backups()) {
            b.disks().forEach(d -> owner.put(d.file(), b.seq()));
        }
        Map<Integer, Set<Integer>> readers = new TreeMap<>();
        for (Backup p : m.restorePoints()) {
            for (DiskChain c : RestorePoint.chains(m, p)) {
                for (String f : c.files()) {
                    readers.computeIfAbsent(owner.get(f), s -> new TreeSet<>()).add(p.seq());
                }
            }
        }
        return readers;
    }

    /** A chain of seqs, top first: {@code 7 <- 5 <- 0}, a run of {@value #RUN} or more as {@code 19..16}. */
    static String chain(List<Integer> seqs) {
        return compact(seqs, -1, " <- ");
    }

    /** Seqs in ascending order: {@code 2, 3}, a run of {@value #RUN} or more as {@code 4..9}. */
    static String set(java.util.Collection<Integer> seqs) {
        return compact(List.copyOf(new TreeSet<>(seqs)), 1, ", ");
    }

    private static String compact(List<Integer> seqs, int step, String separator) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < seqs.size()) {
            int j = i;
            while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + step) {
                j++;
            }
            if (j - i + 1 >= RUN) {
                parts.add(seqs.get(i) + ".." + seqs.get(j));
                i = j + 1;
            } else {
                parts.add(String.valueOf(seqs.get(i)));
                i++;
            }
        }
        return String.join(separator, parts);
    }

    private static Map<String, Object> json(Manifest m) {
        Map<Integer, Set<Integer>> readers = readers(m);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("domain", m.domain().name());
        root.put("uuid", m.domain().uuid().toString());
        root.put("set-id", m.setId());
        List<Object> backups = new ArrayList<>();
        for (Backup b : m.backups()) {
            Map<String, Object> bm = new LinkedHashMap<>();
            bm.put("seq", b.seq());
            bm.put("level", b.level().word());
            bm.put("time", b.time().toString());
            bm.put("parent", b.parentSeq());
            bm.put("checkpoint", b.checkpoint());
            if (!m.isRestorePoint(b.seq())) {
                bm.put("base", true); // pruned, its files read by later backups
                bm.put("read-by", List.copyOf(readers.getOrDefault(b.seq(), Set.of())));
            }
            bm.put("merged", b.merged());
            Map<String, Object> reads = new LinkedHashMap<>();
            for (DiskChain c : RestorePoint.chains(m, b)) {
                reads.put(c.target(), c.files());
            }
            bm.put("reads", reads);
            bm.put("disks", disksJson(b));
            backups.add(bm);
        }
        root.put("backups", backups);
        root.put("bases", List.copyOf(new LinkedHashSet<>(m.bases())));
        return root;
    }

    /** A backup's disks as the JSON of both {@code list --json} and {@code backup --json}. */
    static List<Object> disksJson(Backup b) {
        List<Object> disks = new ArrayList<>();
        for (DiskBackup d : b.disks()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("target", d.target());
            dm.put("file", d.file());
            dm.put("backing-file", d.backingFile());
            dm.put("virtual-size", d.virtualSize());
            dm.put("bytes-written", d.bytesWritten());
            dm.put("mode", d.mode().word());
            dm.put(d.checksum().algorithm(), d.checksum().value());
            disks.add(dm);
        }
        return disks;
    }
}
