package dev.virtchain.app.backup;

import dev.virtchain.app.cli.Json;
import dev.virtchain.app.config.DomainSettings;
import dev.virtchain.app.prune.PruneCommand;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** The end of a run over several domains: one row per domain, as a table or a JSON array, and the failures' lines. */
record HostReport(List<Row> rows) {

    /** What became of a domain. */
    enum Result { OK, FAILED, SKIPPED;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One domain's row.
     *
     * @param message why it failed or was skipped (one line); null when it succeeded
     * @param done    the backup (and prune) it made; null when it made none
     */
    record Row(String domain, Path dir, Result result, String message, BackupAndPrune done, double seconds) {

        static Row done(DomainSettings ds, BackupAndPrune done, double seconds) {
            if (done.pruneFailed() != null) {
                return new Row(ds.domain(), ds.dir(), Result.FAILED, "backup " + done.report().backup().seq()
                        + " is made in " + ds.dir() + ", but the prune failed: " + done.pruneFailed(), done, seconds);
            }
            return new Row(ds.domain(), ds.dir(), Result.OK, null, done, seconds);
        }

        static Row failed(String domain, Path dir, String why, double seconds) {
            return new Row(domain, dir, Result.FAILED, why, null, seconds);
        }

        static Row skipped(String domain, Path dir, String why) {
            return new Row(domain, dir, Result.SKIPPED, why, null, 0);
        }

        Backup backup() {
            return done == null ? null : done.report().backup();
        }

        long bytes() {
            return backup() == null ? 0 : backup().disks().stream().mapToLong(DiskBackup::bytesWritten).sum();
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            Backup b = backup();
            m.put("domain", domain);
            m.put("dir", dir == null ? null : dir.toAbsolutePath().toString());
            m.put("result", result.word());
            m.put("level", b == null ? null : b.level().word());
            m.put("seq", b == null ? null : b.seq());
            m.put("bytes", b == null ? null : bytes());
            m.put("seconds", result == Result.SKIPPED ? null : Math.round(seconds * 1000) / 1000.0);
            m.put("message", message);
            m.put("warnings", done == null ? List.of() : new ArrayList<>(new LinkedHashSet<>(done.report().warnings())));
            m.put("backup", done == null ? null : BackupCommand.summary(done.report()));
            m.put("prune", done == null || done.pruned() == null ? null
                    : PruneCommand.json(dir, done.policy(), done.pruned().plan(), done.pruned().outcome(),
                            false));
            return m;
        }
    }

    /** The table (or with {@code json} the array) on {@code out}. */
    void print(PrintWriter out, boolean json) {
        if (json) {
            List<Object> a = new ArrayList<>();
            rows.forEach(r -> a.add(r.json()));
            out.println(Json.pretty(a));
            out.flush();
            return;
        }
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"DOMAIN", "LEVEL", "SEQ", "WRITTEN", "SECONDS", "RESULT"});
        for (Row r : rows) {
            Backup b = r.backup();
            lines.add(new String[] {r.domain(), b == null ? "-" : b.level().word(), b == null ? "-" : Integer.toString(b.seq()),
                    b == null ? "-" : BackupCommand.mib(r.bytes()),
                    r.result() == Result.SKIPPED ? "-" : String.format("%.1f", r.seconds()),
                    r.result() == Result.SKIPPED ? "skipped: " + r.message() : r.result().word()});
        }
        int[] width = new int[6];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                s.append(i < l.length - 1 ? String.format("%-" + width[i] + "s  ", l[i]) : l[i]);
            }
            out.println(s.toString().stripTrailing());
        }
        out.flush();
    }

    /** One line per failed domain, for stderr. */
    List<String> failures() {
        return rows.stream().filter(r -> r.result() == Result.FAILED)
                .map(r -> "virtchain: " + r.domain() + ": " + r.message()).toList();
    }
}
