package dev.virtchain.app.status;

import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.Durations;
import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "status",
        mixinStandardHelpOptions = true,
        description = {"Show the state of the backups under ROOT: a directory of backup directories, one per domain "
                + "(ROOT/<domain>), or one backup directory.",
                "Per domain: the newest backup (seq, level, time, age), the restore points, the length of the current "
                + "chain, the bytes on disk, how the last backup run ended (each run records it in last-run.json in its "
                + "backup directory), "
                + "and libvirt's checkpoints against the manifest: missing (expected, not listed), stale (listed, "
                + "bitmap missing or broken), foreign (listed, not ours); unknown, with the reason, when libvirt "
                + "cannot be asked.",
                "Reads only: takes no lock and writes nothing but the --prometheus file.",
                "",
                "Exit status: 0; 1 when the newest backup of any domain is older than --max-age (or it has none), "
                + "or a backup directory cannot be read. Each such domain is named on stdout.",
                ""},
        footer = {"",
                "Examples:",
                "  virtchain status /backup",
                "  virtchain status /backup/web01 --json | jq '.domains[0].newest'",
                "  virtchain status /backup --max-age 26h || echo 'a backup is late'",
                "  virtchain status /backup --max-age 26h \\",
                "      --prometheus /var/lib/prometheus/node-exporter/virtchain.prom    # node_exporter's textfiles"})
public final class StatusCommand implements Callable<Integer> {
    /** Test only: {@code -Dvirtchain.test.now=INSTANT} makes status see that time as now. */
    static final String NOW_PROPERTY = "virtchain.test.now";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ROOT", arity = "0..1", defaultValue = ".",
            description = "A directory of backup directories (ROOT/<domain>), or one backup directory "
                    + "(default: the current directory).")
    Path root;

    @Option(names = "--max-age", paramLabel = "DURATION", converter = Durations.Converter.class,
            description = "Exit 1 when a domain's newest backup is older than this: 26h, 1d12h, 90m, PT26H.")
    Duration maxAge;

    @Option(names = "--prometheus", paramLabel = "FILE",
            description = "Also write the figures to FILE, atomically, in the Prometheus text format "
                    + "(for node_exporter's textfile collector: a FILE.prom in its directory).")
    Path prometheus;

    @Mixin
    ConnectOption connect;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        List<Path> dirs = Survey.directories(root);
        Instant now = now();
        List<DomainStatus> statuses = new ArrayList<>();
        Hypervisor hv = null;
        String unreachable = null;
        try {
            hv = Hypervisor.connect(connect.uri());
        } catch (HypervisorException e) {
            unreachable = ExitCodes.describe(e);
        }
        try {
            Survey survey = new Survey(hv, unreachable);
            for (Path d : dirs) {
                statuses.add(survey.read(d));
            }
        } finally {
            if (hv != null) {
                hv.close();
            }
        }
        StatusReport report = new StatusReport(root, statuses, now, maxAge);
        if (prometheus != null) {
            PrometheusFile.write(prometheus, statuses, now, maxAge);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.json()) {
            out.println(Json.pretty(report.json()));
        } else {
            report.printText(out);
        }
        out.flush();
        return report.tooOld().isEmpty() && report.unreadable().isEmpty() ? ExitCodes.OK : ExitCodes.ERROR;
    }

    private static Instant now() {
        String given = System.getProperty(NOW_PROPERTY);
        return given == null ? Instant.now() : Instant.parse(given);
    }
}
