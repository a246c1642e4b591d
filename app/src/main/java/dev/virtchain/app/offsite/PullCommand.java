package dev.virtchain.app.offsite;

import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.PointOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull",
        mixinStandardHelpOptions = true,
        description = {"Bring a set pushed with 'virtchain push' back into a local backup directory, which list,",
                "verify, restore and boot then use as any other. DIR must be new or empty. Every file is checked",
                "against what push recorded (ETag) and every backup file against the manifest's checksum before the",
                "manifest is written, last: a pull that fails leaves no manifest, so DIR is never taken for a set.",
                "With --at, only that point in time comes back: the files it reads, and a manifest of those backups",
                "(the older ones as bases, no restore points)."},
        footer = {"",
                "Examples:",
                "  virtchain pull s3://backups/hosts/kvm1/web01 /srv/web01 --endpoint http://rgw.example:7480",
                "  virtchain pull s3://backups/web01 /srv/web01-nov20 --at 2026-11-20T23:00:00Z -p",
                "  virtchain pull s3://backups/web01 /srv/web01 && virtchain boot /srv/web01"})
public final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "s3://BUCKET/PREFIX", description = "The remote set.")
    String url;

    @Parameters(index = "1", paramLabel = "DIR", description = "The new local backup directory.")
    Path dir;

    @Mixin
    RemoteOptions remote;

    @Mixin
    PointOption at = PointOption.absentMeans("every backup");

    @Mixin
    JsonOption json;

    @Mixin
    ProgressOptions progress;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw new OffsiteException(ErrorKind.CONFLICT, dir + " is not empty: pull into a new directory");
                }
            }
        }
        long start = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> result = new LinkedHashMap<>();
        try (RemoteSet set = RemoteSet.open(url, remote)) {
            Manifest m = set.manifest();
            Set<String> images = new TreeSet<>();
            if (at.given()) {
                RestorePoint p = RestorePoint.resolve(m, at.point());
                p.disks().forEach(c -> images.addAll(c.files()));
                m = onlyPoint(m, p, images);
            } else {
                m.backups().forEach(b -> b.disks().forEach(d -> images.add(d.file())));
            }
            List<DiskBackup> layers = new ArrayList<>();
            m.backups().forEach(b -> layers.addAll(b.disks()));
            set.checkStored(layers);
            Files.createDirectories(dir);
            List<String> names = set.fileNames(at.given() ? images : null);
            long total = set.bytes(names);
            long done = 0;
            var meter = json.json() ? dev.virtchain.qcow2.Progress.NONE : progress.meter(out);
            for (String name : names) {
                Path target = dir.resolve(name);
                Files.createDirectories(target.getParent());
                Path tmp = target.resolveSibling("." + target.getFileName() + ".pulling");
                Files.deleteIfExists(tmp);
                set.fetch(name, tmp);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                done += Files.size(target);
                meter.update(done, total);
            }
            for (DiskBackup d : layers) {
                ChainVerifier.checksum(dir, d);
            }
            ManifestFile.write(dir, m); // last: only now is DIR a set
            progress.finish(out);
            result.put("remote", set.url());
            result.put("dir", dir.toAbsolutePath().toString());
            result.put("files", names.size() + 1);
            result.put("bytes", total);
            result.put("backups", m.backups().size());
            result.put("seconds", (System.nanoTime() - start) / 1_000_000 / 1000.0);
        }
        if (json.json()) {
            out.println(Json.pretty(result));
        } else if (!progress.quiet()) {
            out.printf("pulled %s into %s: %s files, %s, %s backups, %.1f s%n", result.get("remote"), dir,
                    result.get("files"), PushCommand.bytes((Long) result.get("bytes")), result.get("backups"),
                    (Double) result.get("seconds"));
        }
        out.flush();
        return 0;
    }

    /** The manifest of the backups {@code p} reads: {@code p} a restore point, the others bases. */
    private static Manifest onlyPoint(Manifest m, RestorePoint p, Set<String> images) throws ChainException {
        List<Backup> kept = new ArrayList<>();
        Set<Integer> bases = new TreeSet<>();
        for (Backup b : m.backups()) {
            if (!b.disks().isEmpty() && b.disks().stream().allMatch(d -> images.contains(d.file()))) {
                kept.add(b);
                if (b.seq() != p.backup().seq()) {
                    bases.add(b.seq());
                }
            }
        }
        for (DiskChain c : p.disks()) {
            for (DiskBackup d : c.layers()) {
                if (kept.stream().noneMatch(b -> b.disks().contains(d))) {
                    throw new ChainException(ErrorKind.UNSUPPORTED, "--at " + p.backup().seq() + " reads " + d.file()
                            + " with other disks' files of its backup; pull the whole set");
                }
            }
        }
        return m.withRecords(kept, bases).withJournal(null);
    }
}
