package dev.virtchain.app.restore;

import dev.virtchain.app.boot.InstantBoot;
import dev.virtchain.app.boot.SignOfLife;
import dev.virtchain.app.cli.BackupDirectory;
import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.PointOption;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.RemoteSet;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.app.state.BootState;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.chain.RestorePoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Prove a backup directory good without restoring it: the checksum of every file against the",
                "manifest, a structural check of every qcow2 (refcounts and tables, as img check), and every",
                "chain link against the manifest. Without --at, every backup is verified; with it, the files",
                "that point in time needs. --boot then also boots that point in time (latest without --at) in an",
                "isolated transient domain (throwaway overlays, no network, serial console to a file in the",
                "scratch directory) and waits for a sign of life: a console line matching --expect, or an answer",
                "from the guest agent when the domain has an agent channel. Exit 0 when all is well, 1 when",
                "anything is wrong or the guest gave no sign of life.",
                "DIR may be s3://BUCKET/PREFIX, a set pushed with 'virtchain push': structure and links are checked",
                "by ranged reads, and each file against what the server computed of it when it was pushed (its",
                "ETag, which push recorded beside the manifest's checksum), without downloading the data; an",
                "object changed or deleted since the push is reported. --boot needs a local set (virtchain pull)."},
        footer = {"",
                "Examples:",
                "  virtchain verify /backup/web01",
                "  virtchain verify /backup/web01 --at latest --json",
                "  virtchain verify /backup/web01 --at 3 --boot --expect 'login:' --timeout 300",
                "  virtchain verify s3://backups/hosts/kvm1/web01 --endpoint http://rgw.example:7480"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BackupDirectory dir;

    @Mixin
    RemoteOptions remoteOptions;

    /** The remote set verified instead of a directory. */
    private RemoteSet remote;

    @Mixin
    PointOption at = PointOption.absentMeans("every backup");

    @Mixin
    JsonOption json;

    @Option(names = "--boot", description = "Also boot the point in time (at -c's URI) and wait for a sign of life.")
    boolean boot;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "How long --boot waits for a sign of life (default: ${DEFAULT-VALUE}).")
    long timeout;

    @Option(names = "--expect", paramLabel = "REGEX", defaultValue = "login:",
            description = "A console line that shows the guest lives, as a regular expression found anywhere in "
                    + "the line (default: ${DEFAULT-VALUE}).")
    String expect;

    @Mixin
    ConnectOption connect;

    @Option(names = "--scratch", paramLabel = "DIR", defaultValue = "/var/tmp/virtchain-boot",
            description = "Where --boot puts its scratch directory (default: ${DEFAULT-VALUE}).")
    Path scratch;

    @Override
    public Integer call() throws Exception {
        Pattern sign;
        try {
            sign = Pattern.compile(expect);
        } catch (PatternSyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--expect " + expect + ": " + e.getDescription());
        }
        if (dir.remote().isPresent()) {
            if (boot) {
                throw new ParameterException(spec.commandLine(), "--boot needs a local set: virtchain pull "
                        + dir.remote().get() + " DIR first, then verify DIR --boot");
            }
            try (RemoteSet set = RemoteSet.open(dir.remote().get(), remoteOptions)) {
                remote = set;
                return verify();
            }
        }
        // Held until verify ends (its boot too): no prune writes into the files it reads.
        try (ReadersLock reading = InterruptedPrune.readLocked(dir(), spec.commandLine().getErr())) {
            return verify();
        }
    }

    private int verify() throws Exception {
        Pattern sign = Pattern.compile(expect);
        Manifest m = remote != null ? remote.manifest() : ManifestFile.load(dir());
        List<DiskBackup> files = new ArrayList<>();
        if (at.given()) {
            RestorePoint p = RestorePoint.resolve(m, at.point());
            p.disks().forEach(c -> files.addAll(c.layers()));
        } else {
            for (Backup b : m.backups()) {
                files.addAll(b.disks());
            }
        }
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> results = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (DiskBackup d : files) {
            if (seen.add(d.file())) {
                results.add(verify(d, problems));
            }
        }
        Map<String, Object> booted = null;
        if (boot) {
            booted = problems.isEmpty() ? bootAndWait(sign, problems)
                    : Map.of("booted", false, "why", "the files have problems");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.json()) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("dir", remote != null ? remote.url() : dir().toAbsolutePath().toString());
            root.put("ok", problems.isEmpty());
            root.put("files", results);
            if (booted != null) {
                root.put("boot", booted);
            }
            root.put("problems", problems);
            out.println(Json.pretty(root));
        } else {
            for (Map<String, Object> r : results) {
                out.println((Boolean.TRUE.equals(r.get("ok")) ? "ok     " : "FAILED ") + r.get("file"));
            }
            if (booted != null) {
                out.println(bootLine(booted));
            }
            out.println(problems.isEmpty() ? "verified " + results.size() + " files" + (boot ? " and a boot" : "")
                    + ": all good" : problems.size() + " problem(s) in " + (remote != null ? remote.url() : dir()) + ":");
        }
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (String p : problems) {
            err.println("virtchain: " + p);
        }
        err.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    /**
     * Boots the point in time isolated, waits for a sign of life and tears the domain down again,
     * whatever happened. A guest that gave none adds a problem.
     */
    private Map<String, Object> bootAndWait(Pattern sign, List<String> problems) throws Exception {
        PointInTime point = at.given() ? at.point() : new PointInTime.Latest();
        Map<String, Object> r = new LinkedHashMap<>();
        InstantBoot.Plan plan = InstantBoot.plan(new InstantBoot.Request(dir(), point, null, "verify", scratch, false,
                true, false));
        try (Hypervisor hv = Hypervisor.connect(connect.uri())) {
            InstantBoot.Booted b = InstantBoot.start(hv, plan);
            BootState s = b.state();
            SignOfLife.Result life;
            try {
                life = SignOfLife.await(hv, s.name(), Path.of(s.scratch()).resolve(InstantBoot.CONSOLE_LOG), sign,
                        s.guestAgent(), Duration.ofSeconds(timeout));
            } finally {
                InstantBoot.stop(hv, s);
            }
            r.put("booted", true);
            r.put("domain", s.name());
            r.put("seq", s.seq());
            r.put("alive", life.alive());
            r.put("sign", life.how());
            r.put("seconds", Math.round(life.seconds() * 10) / 10.0);
            r.put("console-tail", life.tail());
            if (!life.alive()) {
                problems.add("backup " + s.seq() + " booted as " + s.name() + " but gave no sign of life: " + life.how()
                        + (life.tail().isEmpty() ? ", its console stayed empty"
                                : "; last console line: " + life.tail().get(life.tail().size() - 1)));
            }
        }
        return r;
    }

    private static String bootLine(Map<String, Object> b) {
        if (!Boolean.TRUE.equals(b.get("booted"))) {
            return "boot   skipped: " + b.get("why");
        }
        return (Boolean.TRUE.equals(b.get("alive")) ? "ok     " : "FAILED ") + "boot of backup " + b.get("seq") + " as "
                + b.get("domain") + ": " + b.get("sign") + " after " + b.get("seconds") + " s";
    }

    private Path dir() {
        return dir.dir();
    }

    /** Checksum, structure and link of one file; every problem found is added to {@code problems}. */
    private Map<String, Object> verify(DiskBackup d, List<String> problems) {
        Path file = dir().resolve(d.file());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", d.file());
        int before = problems.size();
        if (remote != null) {
            try {
                problems.addAll(remote.problems(d, true));
            } catch (IOException e) {
                problems.add(d.file() + ": " + e.getMessage());
            }
        } else if (!Files.isRegularFile(file)) {
            problems.add(d.file() + ": missing");
        } else {
            try {
                ChainVerifier.checksum(dir(), d);
            } catch (ChainException e) {
                problems.add(e.getMessage());
            } catch (IOException e) {
                problems.add(d.file() + ": cannot compute its checksum: " + e.getMessage());
            }
            try {
                problems.addAll(ChainVerifier.problems(dir(), d, true));
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        r.put("ok", problems.size() == before);
        return r;
    }
}
