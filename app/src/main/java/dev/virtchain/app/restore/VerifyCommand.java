package dev.virtchain.app.restore;

import dev.virtchain.app.cli.Json;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Images;
import dev.virtchain.qcow2.Qcow2Check;
import dev.virtchain.qcow2.Qcow2Image;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Prove a backup directory good without restoring it: the checksum of every file against the",
                "manifest, a structural check of every qcow2 (refcounts and tables, as img check), and every",
                "chain link against the manifest. Without --at, every backup is verified; with it, the files",
                "that point in time needs. Exit 0 when all is well, 1 when anything is wrong."},
        footer = {"",
                "Examples:",
                "  virtchain verify /backup/web01",
                "  virtchain verify /backup/web01 --at latest --json"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "The backup directory.")
    Path dir;

    @Option(names = "--at", paramLabel = "POINT", description = "Verify only what this point in time needs.")
    String at;

    @Option(names = "--json", description = "Print the findings as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Manifest m = ManifestFile.load(dir);
        List<DiskBackup> files = new ArrayList<>();
        if (at != null) {
            RestorePoint p = RestorePoint.resolve(m, PointInTime.parse(at));
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
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("dir", dir.toAbsolutePath().toString());
            root.put("ok", problems.isEmpty());
            root.put("files", results);
            root.put("problems", problems);
            out.println(Json.pretty(root));
        } else {
            for (Map<String, Object> r : results) {
                out.println((Boolean.TRUE.equals(r.get("ok")) ? "ok     " : "FAILED ") + r.get("file"));
            }
            out.println(problems.isEmpty() ? "verified " + results.size() + " files: all good"
                    : problems.size() + " problem(s) in " + dir + ":");
        }
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (String p : problems) {
            err.println("virtchain: " + p);
        }
        err.flush();
        return problems.isEmpty() ? 0 : 1;
    }

    /** Checksum, structure and link of one file; every problem found is added to {@code problems}. */
    private Map<String, Object> verify(DiskBackup d, List<String> problems) {
        Path file = dir.resolve(d.file());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("file", d.file());
        int before = problems.size();
        if (!Files.isRegularFile(file)) {
            problems.add(d.file() + ": missing");
        } else {
            try {
                Checksum actual = Checksum.of(d.checksum().algorithm(), file);
                if (!actual.value().equals(d.checksum().value())) {
                    problems.add(d.file() + ": " + d.checksum().algorithm() + " is " + actual.value()
                            + ", the manifest says " + d.checksum().value());
                }
            } catch (IOException e) {
                problems.add(d.file() + ": cannot compute its checksum: " + e.getMessage());
            }
            try (Image img = Images.open(file.toString(), "qcow2", false)) {
                CheckResult c = Qcow2Check.check((Qcow2Image) img, line -> { });
                if (c.exitCode() != 0) {
                    problems.add(d.file() + ": structural check found " + c.corruptions() + " corruption(s), "
                            + c.leaks() + " leaked cluster(s)" + (c.failure() != null ? ", " + c.failure() : ""));
                }
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
            try {
                ChainVerifier.verify(dir, d);
            } catch (IOException | ChainException e) {
                problems.add(e.getMessage());
            }
        }
        r.put("ok", problems.size() == before);
        return r;
    }
}
