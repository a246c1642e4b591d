package dev.virtchain.app.status;

import dev.virtchain.app.state.RunRecord;
import dev.virtchain.chain.Backup;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The status of every backup directory at one moment, as a table for people and as JSON for scripts. */
record StatusReport(Path root, List<DomainStatus> domains, Instant now, Duration maxAge) {

    StatusReport {
        domains = List.copyOf(domains);
    }

    /** The directories whose newest backup is older than --max-age (or that have none). */
    List<DomainStatus> tooOld() {
        return domains.stream().filter(d -> d.tooOld(now, maxAge)).toList();
    }

    /** The directories that could not be read. */
    List<DomainStatus> unreadable() {
        return domains.stream().filter(d -> d.error() != null).toList();
    }

    /** One line per problem, naming the domain: a failed last run, checkpoint trouble, too old, unreadable. */
    List<String> problems() {
        List<String> lines = new ArrayList<>();
        for (DomainStatus d : domains) {
            if (d.error() != null) {
                lines.add(d.domain() + ": " + d.error());
            }
            RunRecord r = d.lastRun();
            if (r != null && !r.ok()) {
                lines.add(d.domain() + ": last run failed at " + second(r.finishTime()) + ": " + r.error());
            }
            if (d.checkpoints().state() == CheckpointHealth.State.PROBLEMS) {
                lines.add(d.domain() + ": checkpoints: " + d.checkpoints().summary());
            }
            if (d.tooOld(now, maxAge)) {
                lines.add(d.domain() + ": " + (d.newest() == null ? "no backup yet, --max-age " + Ages.format(maxAge)
                        : "newest backup is " + Ages.format(d.age(now)) + " old, more than --max-age " + Ages.format(maxAge)));
            }
        }
        return lines;
    }

    void printText(PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"DOMAIN", "NEWEST", "AGE", "POINTS", "CHAIN", "ON DISK", "LAST RUN", "CHECKPOINTS"});
        for (DomainStatus d : domains) {
            Backup b = d.newest();
            RunRecord r = d.lastRun();
            rows.add(new String[] {d.domain(),
                b == null ? "-" : b.seq() + " " + b.level().word() + " " + second(b.time()),
                b == null ? "-" : Ages.format(d.age(now)),
                Integer.toString(d.restorePoints()),
                Integer.toString(d.chainLength()),
                size(d.bytes()),
                r == null ? "-" : (r.ok() ? "ok " : "failed ") + second(r.finishTime()),
                d.checkpoints().state().word()});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        for (DomainStatus d : domains) {
            CheckpointHealth c = d.checkpoints();
            if (c.state() == CheckpointHealth.State.UNKNOWN) {
                out.println(d.domain() + ": checkpoints " + c.summary());
            }
        }
        problems().forEach(out::println);
    }

    Map<String, Object> json() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("root", root.toAbsolutePath().toString());
        j.put("time", now.toString());
        j.put("max-age-seconds", maxAge == null ? null : maxAge.toSeconds());
        List<Object> all = new ArrayList<>();
        for (DomainStatus d : domains) {
            all.add(json(d));
        }
        j.put("domains", all);
        j.put("problems", problems());
        return j;
    }

    private Map<String, Object> json(DomainStatus d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", d.domain());
        m.put("dir", d.dir().toAbsolutePath().toString());
        Backup b = d.newest();
        if (b == null) {
            m.put("newest", null);
        } else {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("seq", b.seq());
            n.put("level", b.level().word());
            n.put("time", b.time().toString());
            n.put("age-seconds", d.age(now).toSeconds());
            m.put("newest", n);
        }
        m.put("too-old", maxAge == null ? null : d.tooOld(now, maxAge));
        m.put("restore-points", d.restorePoints());
        m.put("chain-length", d.chainLength());
        m.put("bytes", d.bytes());
        RunRecord r = d.lastRun();
        if (r == null) {
            m.put("last-run", null);
        } else {
            Map<String, Object> lr = new LinkedHashMap<>();
            lr.put("result", r.ok() ? "ok" : "failed");
            lr.put("started", r.started());
            lr.put("finished", r.finished());
            lr.put("level", r.level());
            lr.put("error", r.error());
            m.put("last-run", lr);
        }
        CheckpointHealth c = d.checkpoints();
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("state", c.state().word());
        cm.put("reason", c.reason());
        cm.put("expected", c.expected());
        cm.put("missing", c.missing());
        cm.put("foreign", c.foreign());
        cm.put("stale", c.stale());
        m.put("checkpoints", cm);
        m.put("next-inc-estimate-bytes", d.nextIncBytes());
        m.put("error", d.error());
        return m;
    }

    private static String second(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Bytes in binary units with one decimal: "512 B", "3.0 MiB", "1.2 GiB". */
    static String size(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        if (bytes < 1024) {
            return bytes + " B";
        }
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format("%.1f %s", v, units[i]);
    }
}
