package dev.virtchain.app.backup;

import dev.virtchain.app.cli.Json;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.DomainCheckpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code backup --estimate}: what the next inc (or diff) would copy, as libvirt counts it for the
 * checkpoint that backup would start from (VIR_DOMAIN_CHECKPOINT_XML_SIZE: the bytes its dirty
 * bitmaps cover). No job starts, no file is written, the directory is not locked.
 *
 * <p>An estimate, not a promise: libvirt counts whole bitmap granules (64 KiB for a qcow2 disk of
 * default cluster size) that anything dirtied, zero writes and discards included, while the backup
 * stores only the clusters that hold data; and the guest keeps writing until the backup begins.
 */
final class Estimate {
    private final CommandSpec spec;
    private final String uri;
    private final boolean json;

    Estimate(CommandSpec spec, String uri, boolean json) {
        this.spec = spec;
        this.uri = uri;
        this.json = json;
    }

    /** Prints the estimate for the run {@code o} describes; returns the exit code. */
    int print(BackupOptions o) throws IOException, ChainException {
        Manifest m = ManifestFile.read(o.dir()).orElse(null);
        Backup from = from(o, m);
        Map<String, Long> disks = new LinkedHashMap<>();
        try (Hypervisor hv = Hypervisor.connect(uri)) {
            String name = hv.domain(o.domain()).name();
            if (!hv.isActive(name)) {
                throw new BackupException(ErrorKind.CONFLICT, "domain " + name + " is not running: libvirt counts the"
                        + " changes since a checkpoint only while the domain runs");
            }
            String xml;
            try {
                xml = hv.checkpointSizeXml(name, from.checkpoint());
            } catch (HypervisorException e) {
                if (e.isNoCheckpoint() || e.isCheckpointInconsistent()) {
                    throw new BackupException(e.kind(), e.getMessage() + "; the next backup cannot continue the chain"
                            + " from backup " + from.seq() + ": it will be a full backup (-l full, or --auto-full)");
                }
                throw e;
            }
            java.util.Set<String> present = new java.util.HashSet<>();
            dev.virtchain.xml.Domain.parse(hv.domainXml(name)).disks().forEach(d -> present.add(d.targetDev()));
            for (CheckpointDisk d : DomainCheckpoint.parse(xml).disks()) {
                if (d.bitmap() && chosen(o, d.name()) && present.contains(d.name())) {
                    if (d.size() == null) {
                        // libvirt leaves the size out where the disk's bitmap chain is not valid.
                        throw new BackupException(ErrorKind.CORRUPT, "domain " + name + ": checkpoint "
                                + from.checkpoint() + ": libvirt cannot count the changes of disk " + d.name()
                                + " since it: a bitmap is missing or broken; the next backup cannot continue the chain"
                                + " from backup " + from.seq() + ": it will be a full backup (-l full, or --auto-full)");
                    }
                    disks.put(d.name(), d.size());
                }
            }
        }
        long total = disks.values().stream().mapToLong(Long::longValue).sum();
        String level = o.level() == RequestedLevel.DIFF ? "diff" : "inc";
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("domain", m.domain().name());
            j.put("dir", o.dir().toAbsolutePath().toString());
            j.put("level", level);
            j.put("from-seq", from.seq());
            j.put("checkpoint", from.checkpoint());
            j.put("bytes", total);
            j.put("disks", disks);
            out.println(Json.pretty(j));
        } else {
            out.printf("next %s of %s from backup %d (checkpoint %s): about %s to copy%n", level, m.domain().name(),
                    from.seq(), from.checkpoint(), BackupCommand.mib(total));
            disks.forEach((disk, bytes) -> out.printf("  %s: %s%n", disk, BackupCommand.mib(bytes)));
        }
        out.flush();
        return 0;
    }

    /** The backup whose checkpoint the next backup of the requested level starts from. */
    private Backup from(BackupOptions o, Manifest m) throws BackupException {
        RequestedLevel level = o.level();
        if (level == RequestedLevel.FULL || level == RequestedLevel.COPY) {
            throw new ParameterException(spec.commandLine(), "--estimate is for the next inc or diff (-l inc, diff or"
                    + " auto), not " + level.withArticle() + " backup: that copies every allocated cluster");
        }
        Optional<Backup> full = m == null ? Optional.empty() : m.latestFull();
        if (full.isEmpty()) {
            throw new BackupException(ErrorKind.NOT_FOUND, o.dir() + " has no full backup yet: the next backup is a full,"
                    + " which copies every allocated cluster; --estimate sizes an inc or diff");
        }
        return level == RequestedLevel.DIFF ? full.get() : m.chainTip().orElseThrow();
    }

    private static boolean chosen(BackupOptions o, String disk) {
        return (o.include().isEmpty() || o.include().contains(disk)) && !o.exclude().contains(disk);
    }
}
