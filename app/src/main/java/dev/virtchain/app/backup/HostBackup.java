package dev.virtchain.app.backup;

import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.config.ConfigFile;
import dev.virtchain.app.config.DomainSettings;
import dev.virtchain.app.config.HostConfig;
import dev.virtchain.app.config.Settings;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.state.RunRecord;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.io.PrintWriter;
import java.nio.file.PathMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.ParameterException;

/**
 * {@code backup --all} and {@code backup -d} with several domains or globs: the domains chosen,
 * each one's settings from the config file under the command line ({@link HostConfig#resolve}),
 * up to --parallel of them backed up at once, each through the one path of a single domain
 * ({@link BackupAndPrune}) into its own directory, ROOT/&lt;domain&gt;. A failing domain stops no other;
 * the end is one table ({@link HostReport}), and the exit code is 0 only when none failed.
 */
final class HostBackup {
    private final BackupCommand cmd;
    private final PrintWriter err;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private HostConfig config;

    HostBackup(BackupCommand cmd) {
        this.cmd = cmd;
        this.err = cmd.spec.commandLine().getErr();
    }

    int call() throws Exception {
        if (cmd.all == !cmd.domains.isEmpty()) {
            throw usage(cmd.all ? "--all and -d exclude each other" : "give -d DOMAIN (repeatable, or a glob) or --all");
        }
        if (cmd.parallel != null && (cmd.parallel < 1 || cmd.parallel > 64)) {
            throw usage("--parallel " + cmd.parallel + ": expected a number of domains from 1 to 64");
        }
        List<PathMatcher> excluded = new ArrayList<>();
        for (String g : cmd.excludeDomains) {
            excluded.add(glob(g, "--exclude-domain"));
        }
        Settings cli = commandLine();
        config = ConfigFile.load(cmd.config);
        String uri = given("--connect") || config.uri() == null ? cmd.connect.uri() : config.uri();
        int parallel = cmd.parallel != null ? cmd.parallel : config.parallel() != null ? config.parallel() : 1;
        List<HostReport.Row> rows = new ArrayList<>();
        try (Hypervisor hv = Hypervisor.connect(uri)) {
            List<DomainSettings> chosen = new ArrayList<>();
            for (String name : choose(hv, excluded, rows)) {
                DomainSettings ds = config.resolve(name, cli);
                if (!ds.skip() && ds.dir() == null) {
                    throw usage("no backup root for " + name + ": give -o ROOT"
                            + (config.file() != null ? ", or set root in [defaults] of " + config.file() : ""));
                }
                chosen.add(ds);
            }
            rows.addAll(runAll(hv, chosen, parallel));
        }
        HostReport report = new HostReport(rows);
        report.print(cmd.spec.commandLine().getOut(), cmd.json.json());
        report.failures().forEach(err::println);
        err.flush();
        return report.failures().isEmpty() ? ExitCodes.OK : ExitCodes.ERROR;
    }

    /** The domains to back up, in order; a glob that matches none is a failed row. */
    private Set<String> choose(Hypervisor hv, List<PathMatcher> excluded, List<HostReport.Row> rows) throws Exception {
        boolean globs = cmd.domains.stream().anyMatch(HostConfig.Section::isGlob);
        List<String> known = cmd.all || globs ? hv.domainNames() : List.of();
        Set<String> names = new LinkedHashSet<>();
        if (cmd.all) {
            names.addAll(known);
        }
        for (String d : cmd.domains) {
            if (!HostConfig.Section.isGlob(d)) {
                names.add(d);
                continue;
            }
            PathMatcher m = glob(d, "-d");
            List<String> matched = known.stream().filter(n -> m.matches(Path.of(n))).toList();
            if (matched.isEmpty()) {
                rows.add(HostReport.Row.failed(d, null, "no domain on " + hv.uri() + " matches '" + d + "'", 0));
            }
            names.addAll(matched);
        }
        names.removeIf(n -> excluded.stream().anyMatch(m -> m.matches(Path.of(n))));
        return names;
    }

    private List<HostReport.Row> runAll(Hypervisor hv, List<DomainSettings> chosen, int parallel) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<HostReport.Row>> running = new ArrayList<>();
            for (DomainSettings ds : chosen) {
                running.add(pool.submit(() -> runOne(hv, ds)));
            }
            List<HostReport.Row> rows = new ArrayList<>();
            for (Future<HostReport.Row> f : running) {
                rows.add(f.get());
            }
            return rows;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One domain: skipped, or backed up (and pruned) in its own directory; whatever fails is its row. */
    private HostReport.Row runOne(Hypervisor hv, DomainSettings ds) {
        long start = System.nanoTime();
        String name = ds.domain();
        if (ds.skip()) {
            return HostReport.Row.skipped(name, ds.dir(), "skip = true in " + config.file());
        }
        if (interrupted.get()) {
            return HostReport.Row.failed(name, ds.dir(), "not started: the run was interrupted by a signal", 0);
        }
        BackupOptions o = options(ds);
        PrintWriter domainErr = PrefixedLines.of(err, name);
        RunRecord.Run run = null;
        try {
            if (!hv.isActive(name) && !o.startPaused() && o.level() != RequestedLevel.COPY) {
                return HostReport.Row.skipped(name, ds.dir(), "shut off: --start-paused (start_paused = true) "
                        + "or -l copy backs it up");
            }
            // Each domain's run records how it ended in its directory's last-run.json, as a single backup does.
            run = RunRecord.begin(ds.dir(), name, o.level().word(), Clock.systemUTC());
            try (DirectoryLock lock = BackupRun.lock(ds.dir())) {
                BackupAndPrune done = BackupAndPrune.run(hv, o, ds.keepOrNull(), cmd.keep.await(), domainErr, false);
                return recorded(run, HostReport.Row.done(ds, done, seconds(start)));
            }
        } catch (BackupInterruptedException e) {
            interrupted.set(true);
            err.println("virtchain: " + e.getMessage());
            err.flush();
            HostReport.Row row = recorded(run, HostReport.Row.failed(name, ds.dir(), e.getMessage(), seconds(start)));
            e.reported(); // the JVM is shutting down and waits for this line
            return row;
        } catch (Exception e) {
            return recorded(run, HostReport.Row.failed(name, ds.dir(), ExitCodes.describe(e), seconds(start)));
        } finally {
            domainErr.close();
        }
    }

    /** {@code row}, after its domain's run (when one began) recorded how it ended. */
    private HostReport.Row recorded(RunRecord.Run run, HostReport.Row row) {
        if (run != null) {
            run.end(row.result() == HostReport.Result.FAILED ? row.message() : null, err);
        }
        return row;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static BackupOptions options(DomainSettings ds) {
        Settings s = ds.settings();
        return new BackupOptions(ds.domain(), ds.dir(), s.level(), Set.copyOf(s.include()), Set.copyOf(s.exclude()),
                s.freeze() ? BackupOptions.Freeze.AUTO : BackupOptions.Freeze.OFF, s.startPaused(), s.preHook(),
                s.postHook(), Duration.ofSeconds(s.hookTimeout()), s.autoFull(), s.checksum(),
                s.freeze() ? s.freezeMountpoints() : List.of());
    }

    /** The settings the command line gives: only the options given, so that the rest come from the file. */
    private Settings commandLine() throws Exception {
        RequestedLevel level = cmd.requestedLevel(); // checks every value
        RetentionPolicy keep = cmd.keep.any() ? cmd.keep.policy() : null;
        return new Settings(cmd.dir, given("--level") ? level : null, given("--checksum") ? cmd.checksum : null,
                given("--freeze") || given("--no-freeze") ? cmd.freeze : null, given("--freeze-mountpoints") ? cmd.freezeMountpoints : null,
                cmd.startPaused ? true : null, cmd.preHook, cmd.postHook,
                given("--hook-timeout") ? cmd.hookTimeout : null, cmd.autoFull ? true : null,
                given("--include") ? cmd.include : null, given("--exclude") ? cmd.exclude : null, keep, null);
    }

    private boolean given(String option) {
        return cmd.spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private PathMatcher glob(String pattern, String option) {
        try {
            return HostConfig.Section.glob(pattern);
        } catch (IllegalArgumentException e) {
            throw usage(option + " " + pattern + ": not a glob of domain names (" + e.getMessage() + ")");
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(cmd.spec.commandLine(), message);
    }
}
