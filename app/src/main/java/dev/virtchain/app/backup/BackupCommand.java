package dev.virtchain.app.backup;

import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.Trace;
import dev.virtchain.app.config.HostConfig;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.offsite.Bucket;
import dev.virtchain.app.offsite.Push;
import dev.virtchain.app.offsite.PushCommand;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.S3Location;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.qcow2.Progress;
import java.io.IOException;
import dev.virtchain.app.prune.Prune;
import dev.virtchain.app.prune.PruneCommand;
import dev.virtchain.app.prune.RetentionOptions;
import dev.virtchain.app.state.RunRecord;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "backup",
        mixinStandardHelpOptions = true,
        description = {"Back up a running domain's disks with libvirt's push-mode backup API into DIR.",
                "Each disk's backup is a qcow2 file whose backing link points at the backup it depends on:",
                "full starts a chain, inc links to the previous backup, diff to the full one, copy stands alone;",
                "auto (the default) makes a full when DIR has none, else an inc.",
                "All disks are backed up in one job; DIR is locked while it runs; the manifest virtchain.json",
                "names a backup only once it is complete.",
                "Every run, good or failed, records how it ended in DIR/last-run.json, for 'virtchain status'.",
                "With --keep-... rules, DIR is then pruned in the same run, under the same lock, exactly as",
                "'virtchain prune' prunes it (see its --help); a backup that failed never prunes.",
                "With --push s3://BUCKET/PREFIX, DIR is then pushed there as 'virtchain push' pushes it (see its",
                "--help; --endpoint, --profile, --delete-pruned); a backup or prune that failed never pushes.",
                "",
                "Several domains (--all, -d repeated or a glob): each is backed up as above into ROOT/<domain>,",
                "--parallel N at once, with the settings of the config file (/etc/virtchain/virtchain.toml or",
                "--config; see 'virtchain config --help') under the options given here. Shut-off domains are",
                "skipped with a note unless --start-paused or -l copy; a failing domain stops no other. The end is",
                "a table (domain, level, seq, bytes written, seconds, result), or with --json an array, and one",
                "line on stderr per failed domain; the exit code is 0 only when no domain failed.",
                "",
                RetentionPolicy.HOW_RULES_COUNT,
                ""},
        footer = {"",
                "Examples:",
                "  virtchain backup -d web01 -o /backup/web01                 # full the first time, then inc",
                "  virtchain backup -d web01 -o /backup/web01 -l diff",
                "  virtchain backup -d web01 -o /backup/web01 --estimate      # what the next inc would copy",
                "  virtchain backup -d db01 -o /backup/db01 --exclude vdb --pre-hook 'systemctl start db-flush'",
                "  virtchain backup -d vm -o /backup/vm -l copy                # a standalone copy, no checkpoint",
                "  virtchain backup -d vm -o /backup/vm --start-paused         # a shut-off domain, started paused",
                "  virtchain backup -c 'qemu:///embed?root=/tmp/lv' -d vm -o /tmp/bk --json",
                "  virtchain backup -d web01 -o /backup/web01 \\",
                "      --keep-daily 7 --keep-weekly 4 --keep-monthly 12   # the nightly run",
                "  virtchain backup --all                                     # every domain, as the config says",
                "  virtchain backup --all --parallel 2 --exclude-domain 'test-*' -o /backup",
                "  virtchain backup -d 'web*' -d db01 -o /backup --json       # ROOT/web01, ROOT/web02, ROOT/db01",
                "  virtchain backup --all --config ./virtchain.toml -l full   # the file's settings, a full each",
                "  virtchain backup -d web01 -o /backup/web01 --keep-daily 7 \\",
                "      --push s3://backups/hosts/kvm1/web01 --endpoint http://rgw.example:7480 --delete-pruned"})
public final class BackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--domain"}, paramLabel = "DOMAIN", description = "The domain to back up. Repeat it, "
            + "or give a glob ('web*'), for several: each is backed up into ROOT/<domain>, as with --all.")
    List<String> domains = new ArrayList<>();

    @Option(names = "--all", description = "Back up every domain of the host (running ones; shut-off ones with "
            + "--start-paused or -l copy), each into ROOT/<domain>, as the config file says.")
    boolean all;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "The backup directory; with several "
            + "domains the root ROOT of their directories (default: root in the config file).")
    Path dir;

    @Option(names = "--exclude-domain", paramLabel = "GLOB", description = "With --all or a glob: leave out the "
            + "domains this name or glob matches (repeatable).")
    List<String> excludeDomains = new ArrayList<>();

    @Option(names = "--parallel", paramLabel = "N", description = "With several domains: back up N at once "
            + "(default: parallel in the config file, else 1). Each domain is still one job over all its disks.")
    Integer parallel;

    @Option(names = "--config", paramLabel = "FILE", description = "With several domains: the config file "
            + "(default: /etc/virtchain/virtchain.toml when it exists). Options given here override it.")
    Path config;

    @Option(names = {"-l", "--level"}, paramLabel = "LEVEL", defaultValue = "auto",
            description = "full, inc, diff, copy or auto (default: ${DEFAULT-VALUE}).")
    String level;

    @Mixin
    ConnectOption connect;

    @Option(names = "--include", split = ",", paramLabel = "DISK", description = "Back up only these disks (target devs).")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", split = ",", paramLabel = "DISK", description = "Leave these disks out.")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--freeze", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Freeze guest filesystems through the guest agent around backup begin "
                    + "(default: on when an agent answers; warns otherwise).")
    boolean freeze;

    @Option(names = "--freeze-mountpoints", split = ",", paramLabel = "MOUNTPOINT",
            description = "Freeze only the guest filesystems mounted here, e.g. /,/var/lib/db (default: all).")
    List<String> freezeMountpoints = new ArrayList<>();

    @Option(names = "--start-paused", description = "Start a shut-off domain paused for the backup, stop it after.")
    boolean startPaused;

    @Option(names = "--pre-hook", paramLabel = "CMD", description = "Run CMD (sh -c) before the backup; failing stops it.")
    String preHook;

    @Option(names = "--post-hook", paramLabel = "CMD", description = "Run CMD (sh -c) after a successful backup.")
    String postHook;

    @Option(names = "--hook-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Time limit of each hook (default: ${DEFAULT-VALUE}).")
    long hookTimeout;

    @Option(names = "--auto-full", description = "When the chain cannot continue (lost checkpoint or bitmap), "
            + "make a full backup with a warning instead of failing.")
    boolean autoFull;

    @Option(names = "--checksum", paramLabel = "ALGORITHM", defaultValue = Checksum.CRC32C,
            description = "Checksum recorded for every new file and checked by verify: crc32c (default; "
                    + "hardware-accelerated, finds damaged or truncated files), sha256 or sha512 (cryptographic, "
                    + "about 1 s more per GiB).")
    String checksum;

    @Mixin
    RetentionOptions keep;

    @Option(names = "--estimate", description = "Print how many bytes the next inc (or diff, with -l diff) would copy, "
            + "from the size libvirt keeps for its checkpoint, and start no backup. The domain must be running.")
    boolean estimate;

    @Mixin
    JsonOption json;

    /** The line a run that made its backup but failed afterwards printed (its prune failed); null otherwise. */
    private String failure;
    @Option(names = "--push", paramLabel = "s3://BUCKET/PREFIX",
            description = "After a good backup (and prune), push DIR there (see 'virtchain push').")
    String push;

    @Option(names = "--delete-pruned", description = "With --push: delete remote files of points pruned since "
            + "the last push, after the new manifest is up.")
    boolean deletePruned;

    @Mixin
    RemoteOptions remote;

    @Override
    public Integer call() throws Exception {
        if (estimate) {
            if (multiDomain()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--estimate sizes the next backup of one domain: give one -d NAME");
            }
            return new Estimate(spec, connect.uri(), json.json()).print(options());
        }
        if (multiDomain()) {
            if (push != null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--push takes one domain's "
                        + "directory: give one -d NAME, or push each ROOT/<domain> with 'virtchain push'");
            }
            return new HostBackup(this).call();
        }
        if (dir == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-o DIR is missing: where to back up "
                    + domains.get(0) + " (or give --config, whose root says it)");
        }
        // Every run records how it ended in DIR/last-run.json, for status (and so monitoring) to read.
        RunRecord.Run run = RunRecord.begin(dir, domains.get(0), level, Clock.systemUTC());
        try {
            int code = backup(run);
            Trace.mark("backup: connection closed, summary printed");
            run.end(failure, spec.commandLine().getErr());
            Trace.mark("backup: run recorded");
            return code;
        } catch (Exception e) {
            run.end(ExitCodes.describe(e), spec.commandLine().getErr());
            throw e;
        }
    }

    /** Whether this is a run over several domains ({@link HostBackup}) rather than one -d NAME -o DIR. */
    private boolean multiDomain() {
        return all || domains.size() != 1 || HostConfig.Section.isGlob(domains.get(0)) || config != null
                || parallel != null || !excludeDomains.isEmpty();
    }

    private int backup(RunRecord.Run run) throws Exception {
        BackupOptions o = options();
        S3Location pushTo = push != null ? S3Location.parse(push) : null; // a bad address fails before the backup
        RetentionPolicy policy = keep.any() ? keep.policy() : null; // a bad rule fails before the backup
        PrintWriter err = spec.commandLine().getErr();
        BackupAndPrune done;
        Trace.mark("backup: options parsed");
        Warmup.start(); // beside the connect
        try (DirectoryLock lock = BackupRun.lock(dir); Hypervisor hv = Hypervisor.connect(connect.uri())) {
            Trace.mark("backup: connected to " + connect.uri());
            done = BackupAndPrune.run(hv, o, policy, keep.await(), err, System.console() != null);
            Trace.mark("backup: run done");
        } catch (BackupInterruptedException e) {
            // The JVM is shutting down on SIGTERM/SIGINT and waits for this line, then exits (143/130).
            err.println("virtchain: " + e.getMessage());
            err.flush();
            run.end(e.getMessage(), err); // before the JVM may exit
            e.reported();
            return ExitCodes.ERROR;
        }
        BackupReport r = done.report();
        Prune.Result pruned = done.pruned();
        String pruneFailed = done.pruneFailed();
        print(r, policy, pruned, pruneFailed);
        if (pruned != null && !pruned.outcome().checkpointsLeft().isEmpty()) {
            err.println(PruneCommand.checkpointsLeftLine(pruned, null));
        }
        if (pruneFailed != null) {
            failure = "backup " + r.backup().seq() + " of " + r.domain() + " is made in " + dir
                    + ", but the prune failed: " + pruneFailed;
            err.println("virtchain: " + failure);
            err.flush();
            return ExitCodes.ERROR;
        }
        if (pushTo != null) {
            try (ReadersLock reading = InterruptedPrune.readLocked(dir, err); Bucket bucket = Bucket.open(pushTo, remote)) {
                Push.Result pushed = new Push(bucket, dir, 4, Progress.NONE).run(deletePruned);
                PushCommand.report(pushed, pushTo, spec.commandLine().getOut(), json.json(), false);
            } catch (IOException | ChainException e) {
                failure = "backup " + r.backup().seq() + " of " + r.domain() + " is made in " + dir
                        + ", but the push to " + pushTo + " failed: " + ExitCodes.describe(e);
                err.println("virtchain: " + failure);
                err.flush();
                return ExitCodes.ERROR;
            }
            spec.commandLine().getOut().flush();
        }
        err.flush();
        return 0;
    }

    /** The run's options, every value checked: a bad one is a usage error before anything runs. */
    private BackupOptions options() {
        return new BackupOptions(domains.get(0), dir, requestedLevel(), Set.copyOf(include), Set.copyOf(exclude),
                freeze ? BackupOptions.Freeze.AUTO : BackupOptions.Freeze.OFF, startPaused, preHook, postHook,
                Duration.ofSeconds(hookTimeout), autoFull, checksum, List.copyOf(freezeMountpoints));
    }

    /** -l's level, after every option's value was checked (usage errors). */
    RequestedLevel requestedLevel() {
        RequestedLevel requested;
        try {
            requested = RequestedLevel.of(level);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-l " + level
                    + ": expected full, inc, diff, copy or auto");
        }
        if (hookTimeout < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--hook-timeout " + hookTimeout
                    + ": expected a number of seconds, 1 or more");
        }
        if (!Checksum.COMPUTABLE.contains(checksum)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--checksum " + checksum
                    + ": expected " + String.join(", ", Checksum.COMPUTABLE));
        }
        checkFreezeMountpoints();
        return requested;
    }

    /** The run's summary on stdout, with what the prune did or why it failed. */
    private void print(BackupReport r, RetentionPolicy policy, Prune.Result pruned, String pruneFailed) {
        PrintWriter out = spec.commandLine().getOut();
        Backup b = r.backup();
        if (json.json()) {
            Map<String, Object> j = summary(r);
            if (pruned != null) {
                j.put("prune", PruneCommand.json(dir, policy, pruned.plan(), pruned.outcome(), false));
            } else if (pruneFailed != null) {
                j.put("prune", Map.of("failed", pruneFailed));
            }
            out.println(Json.pretty(j));
        } else {
            out.printf("backup %d (%s) of %s in %s, %.1f s%n", b.seq(), b.level().word(), r.domain(), r.dir(),
                    r.elapsed().toMillis() / 1000.0);
            for (DiskBackup d : b.disks()) {
                out.printf("  %s: %s%s, %s written%n", d.target(), d.file(),
                        d.backingFile() != null ? " -> " + d.backingFile() : "", mib(d.bytesWritten()));
            }
            if (pruned != null) {
                out.println(pruned.summary(dir, policy));
            }
        }
        out.flush();
    }

    private void checkFreezeMountpoints() {
        if (!freezeMountpoints.isEmpty() && !freeze) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--freeze-mountpoints and --no-freeze exclude each other");
        }
        for (String m : freezeMountpoints) {
            if (!m.startsWith("/")) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--freeze-mountpoints " + m
                        + ": expected absolute guest mountpoints, e.g. /,/var/lib/db");
            }
        }
    }

    static Map<String, Object> summary(BackupReport r) {
        Backup b = r.backup();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", r.domain());
        m.put("dir", r.dir().toAbsolutePath().toString());
        m.put("seq", b.seq());
        m.put("level", b.level().word());
        m.put("time", b.time().toString());
        m.put("checkpoint", b.checkpoint());
        m.put("parent", b.parentSeq());
        m.put("disks", ListCommand.disksJson(b));
        m.put("seconds", r.elapsed().toMillis() / 1000.0);
        m.put("warnings", new ArrayList<>(new LinkedHashSet<>(r.warnings())));
        return m;
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
