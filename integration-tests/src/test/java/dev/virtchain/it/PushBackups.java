package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One push backup the way virtchain runs it: pre-created qcow2 targets (the native writer),
 * virDomainBackupBegin with REUSE_EXTERNAL and a checkpoint, then job stats polled until the job
 * ends. The XML is written by hand here; the xml-templates module is tested on its own.
 */
final class PushBackups {
    private PushBackups() {
    }

    /** Creates an empty qcow2 target of {@code size} bytes, linked to {@code backing} (a bare name) if not null. */
    static void createTarget(Path target, long size, String backing) throws IOException {
        CreateOptions o = CreateOptions.of(size);
        if (backing != null) {
            o = o.withBacking(backing, "qcow2");
        }
        Qcow2Writer.create(target, o).close();
    }

    /** Pre-creates one target per disk, {@code <disk>.<suffix>.qcow2}, linked to {@code <disk>.<parent>.qcow2}. */
    static Map<String, Path> targets(Path dir, TestGuest g, String suffix, String parent) throws IOException {
        Map<String, Path> targets = new LinkedHashMap<>();
        for (String t : g.targets()) {
            Path file = dir.resolve(t + "." + suffix + ".qcow2");
            createTarget(file, g.size(), parent == null ? null : t + "." + parent + ".qcow2");
            targets.put(t, file);
        }
        return targets;
    }

    static String checkpointXml(String name, List<String> disks) {
        StringBuilder x = new StringBuilder("<domaincheckpoint>\n  <name>" + name + "</name>\n  <disks>\n");
        for (String d : disks) {
            x.append("    <disk name='").append(d).append("' checkpoint='bitmap'/>\n");
        }
        return x.append("  </disks>\n</domaincheckpoint>\n").toString();
    }

    /** A push backup into {@code targets} (disk name to target file); incremental since {@code since} if not null. */
    static String backupXml(String since, Map<String, Path> targets) {
        StringBuilder x = new StringBuilder("<domainbackup mode='push'>\n");
        if (since != null) {
            x.append("  <incremental>").append(since).append("</incremental>\n");
        }
        x.append("  <disks>\n");
        targets.forEach((disk, file) -> x.append("    <disk name='").append(disk).append("' backup='yes' type='file'>\n")
                .append("      <driver type='qcow2'/>\n")
                .append("      <target file='").append(file).append("'/>\n")
                .append("    </disk>\n"));
        return x.append("  </disks>\n</domainbackup>\n").toString();
    }

    /** Begins a push backup and waits for it on the same connection; fails unless it completed. */
    static JobStats run(Hypervisor hv, String domain, String backupXml, String checkpointXml)
            throws HypervisorException, InterruptedException {
        hv.backupBegin(domain, backupXml, checkpointXml);
        return await(hv, domain, Duration.ofMinutes(1));
    }

    static JobStats await(Hypervisor hv, String domain, Duration timeout)
            throws HypervisorException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JobStats s = hv.jobStats(domain);
        while (!s.finished()) {
            if (System.nanoTime() > deadline) {
                hv.abortJob(domain);
                throw new AssertionError(domain + ": backup still running after " + timeout + ": " + s);
            }
            Thread.sleep(20);
            s = hv.jobStats(domain);
        }
        if (!s.succeeded()) {
            throw new AssertionError(domain + ": backup job ended " + s.type() + ": " + s);
        }
        return s;
    }
}
