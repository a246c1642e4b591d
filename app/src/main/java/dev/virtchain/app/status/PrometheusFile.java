package dev.virtchain.app.status;

import dev.virtchain.qcow2.io.DurableFiles;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code status --prometheus FILE}: the status figures in the Prometheus text exposition format
 * (version 0.0.4), as node_exporter's textfile collector reads it, written by the Prometheus Java
 * client's own writer (names, HELP and TYPE lines, label escaping) and published atomically, so the
 * collector never reads half a file. Every series has the labels {@code domain} and {@code dir}; a
 * figure status does not know (no backup yet, libvirt not reached) is left out, never made up.
 */
final class PrometheusFile {
    private static final String PREFIX = "virtchain_";

    private PrometheusFile() {
    }

    /** The metric families, in the order they are written: name (without prefix), help, value per domain. */
    private static List<Family> families(Instant now, Duration maxAge) {
        List<Family> f = new ArrayList<>();
        f.add(new Family("last_success_timestamp_seconds", "When the newest backup was taken (seconds since the epoch).",
                s -> s.newest() == null ? null : seconds(s.newest().time())));
        f.add(new Family("last_run_timestamp_seconds", "When the last backup run ended (seconds since the epoch).",
                s -> s.lastRun() == null ? null : seconds(s.lastRun().finishTime())));
        f.add(new Family("last_run_success", "1 if the last backup run succeeded, 0 if it failed.",
                s -> s.lastRun() == null ? null : s.lastRun().ok() ? 1.0 : 0.0));
        f.add(new Family("backup_bytes", "Bytes the backup directory takes on disk.", s -> (double) s.bytes()));
        f.add(new Family("restore_points", "Points in time the backup directory can restore.",
                s -> (double) s.restorePoints()));
        f.add(new Family("chain_length", "Files a restore of the newest point of the current chain reads per disk.",
                s -> (double) s.chainLength()));
        f.add(new Family("checkpoints_checked", "1 if libvirt's checkpoints were checked against the manifest, 0 if"
                + " not (libvirt not reached, domain not defined).",
                s -> s.checkpoints().state() == CheckpointHealth.State.UNKNOWN ? 0.0 : 1.0));
        f.add(new Family("checkpoints_missing", "Checkpoints the manifest expects that libvirt does not list.",
                s -> known(s) ? (double) s.checkpoints().missing().size() : null));
        f.add(new Family("checkpoints_foreign", "Checkpoints libvirt lists that the manifest does not name.",
                s -> known(s) ? (double) s.checkpoints().foreign().size() : null));
        f.add(new Family("checkpoints_stale", "Checkpoints libvirt lists whose bitmaps are missing or broken.",
                s -> known(s) && s.checkpoints().stale() != null ? (double) s.checkpoints().stale().size() : null));
        f.add(new Family("next_inc_estimate_bytes", "Bytes libvirt counts as changed since the newest backup's"
                + " checkpoint: about what the next inc copies.",
                s -> s.nextIncBytes() == null ? null : (double) s.nextIncBytes()));
        f.add(new Family("status_error", "1 if the backup directory could not be read (manifest or run record).",
                s -> s.error() == null ? 0.0 : 1.0));
        if (maxAge != null) {
            f.add(new Family("max_age_exceeded", "1 if the newest backup is older than status --max-age ("
                    + maxAge.toSeconds() + " s), or there is none.", s -> s.tooOld(now, maxAge) ? 1.0 : 0.0));
        }
        return f;
    }

    /** The file's text for {@code statuses} at {@code now}. */
    static String text(List<DomainStatus> statuses, Instant now, Duration maxAge) throws IOException {
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        for (Family family : families(now, maxAge)) {
            GaugeSnapshot.Builder g = GaugeSnapshot.builder().name(PREFIX + family.name()).help(family.help());
            for (DomainStatus s : statuses) {
                Double v = family.value().apply(s);
                if (v != null) {
                    g.dataPoint(GaugeDataPointSnapshot.builder().labels(labels(s)).value(v).build());
                }
            }
            all.metricSnapshot(g.build());
        }
        all.metricSnapshot(GaugeSnapshot.builder().name(PREFIX + "status_timestamp_seconds")
                .help("When virtchain status wrote this file (seconds since the epoch).")
                .dataPoint(GaugeDataPointSnapshot.builder().value(seconds(now)).build()).build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, all.build(), EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Writes the file atomically: the textfile collector sees the old file or the new one. */
    static void write(Path file, List<DomainStatus> statuses, Instant now, Duration maxAge) throws IOException {
        DurableFiles.writeString(file, text(statuses, now, maxAge));
    }

    private static Labels labels(DomainStatus s) {
        return Labels.of("domain", s.domain(), "dir", s.dir().toAbsolutePath().toString());
    }

    private static boolean known(DomainStatus s) {
        return s.checkpoints().state() != CheckpointHealth.State.UNKNOWN;
    }

    private static double seconds(Instant t) {
        return t.toEpochMilli() / 1000.0;
    }

    private record Family(String name, String help, Function<DomainStatus, Double> value) {
    }
}
