package dev.virtchain.app.backup;

import dev.virtchain.app.cli.BackupDirectory;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "list",
        mixinStandardHelpOptions = true,
        description = "List the backups in a backup directory: levels, times, sizes and chain links.",
        footer = {"",
                "Examples:",
                "  virtchain list /backup/web01",
                "  virtchain list --json /backup/web01 | jq '.backups[-1].seq'"})
public final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    JsonOption json;

    @Mixin
    BackupDirectory dir;

    @Override
    public Integer call() throws Exception {
        InterruptedPrune.finishFiles(dir.dir(), spec.commandLine().getErr());
        Manifest m = ManifestFile.load(dir.dir());
        PrintWriter out = spec.commandLine().getOut();
        if (json.json()) {
            out.println(Json.pretty(json(m)));
        } else {
            out.printf("domain %s (%s), backup set %s%n", m.domain().name(), m.domain().uuid(), m.setId());
            out.printf("%-5s %-5s %-20s %-6s %s%n", "SEQ", "LEVEL", "TIME", "PARENT", "CHECKPOINT");
            for (Backup b : m.backups()) {
                out.printf("%-5d %-5s %-20s %-6s %s%n", b.seq(), b.level().word(),
                        b.time().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
                        b.parentSeq() == null ? "-" : b.parentSeq(), b.checkpoint() == null ? "-" : b.checkpoint());
                if (!m.isRestorePoint(b.seq())) {
                    out.printf("      pruned: no restore point, its files stay as the base of later backups%n");
                }
                for (DiskBackup d : b.disks()) {
                    out.printf("      %-4s %s%s  size %s, written %s%s%n", d.target(), d.file(),
                            d.backingFile() != null ? " -> " + d.backingFile() : "",
                            BackupCommand.mib(d.virtualSize()), BackupCommand.mib(d.bytesWritten()),
                            d.mode().word().equals("full") && b.parentSeq() != null ? " (full copy: new disk)" : "");
                }
            }
        }
        out.flush();
        return 0;
    }

    private static Map<String, Object> json(Manifest m) {
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
            }
            bm.put("disks", disksJson(b));
            backups.add(bm);
        }
        root.put("backups", backups);
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
