package dev.virtchain.app.backup;

import dev.virtchain.app.cli.Trace;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.xml.BackupDisk;
import dev.virtchain.xml.DomainBackup;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * What a run finds before it plans, left by runs that died (SIGKILL, a crash, power loss) and by a
 * libvirt that forgot: a backup job still writing into this directory, checkpoints of this set that
 * no backup in the manifest owns, files of backups never recorded ({@link Leftovers}), and
 * checkpoints of the current chain that libvirt lost. The run holds the directory's lock, so none
 * of it belongs to a run still alive.
 */
final class Recovery {
    private final Hypervisor hv;
    private final Consumer<String> warn;

    Recovery(Hypervisor hv, Consumer<String> warn) {
        this.hv = hv;
        this.warn = warn;
    }

    /**
     * Puts right what dead runs left for {@code domain} and {@code dir} ({@code saved} is the
     * manifest, null when there is none yet) and returns the domain's checkpoint names to plan
     * from. Jobs and checkpoints are looked at only on a running domain: an inactive one has no
     * job, and its copy touches no checkpoint.
     */
    List<String> recover(String domain, Path dir, Manifest saved, boolean live)
            throws IOException, InterruptedException {
        if (live) {
            endStaleJob(domain, dir);
            deleteStaleCheckpoints(domain, saved);
        }
        deleteLeftovers(dir, saved);
        Trace.mark("run: leftovers checked");
        return live ? redefineLost(domain, saved, dir) : hv.checkpointNames(domain);
    }

    /**
     * A backup job still running on the domain. One writing into this directory's partial files
     * belongs to a run that died (we hold the directory's lock): it is aborted. Any other job is
     * not ours to stop, and a backup cannot begin beside it.
     */
    private void endStaleJob(String name, Path dir) throws IOException, InterruptedException {
        JobStats s;
        try {
            s = hv.jobStats(name);
        } catch (HypervisorException e) {
            throw PushFailures.unsupported(hv.uri(), e);
        }
        if (s.finished()) {
            return;
        }
        DomainBackup job = runningBackup(name, s);
        if (job == null || !writesInto(job, dir)) {
            throw new BackupException(ErrorKind.CONFLICT, PushFailures.otherJob(name, s));
        }
        warn.accept("a backup job of a virtchain run that died is still writing into " + dir + "; aborting it");
        if (!JobWatcher.abortAndWait(hv, name, Duration.ofSeconds(60))) {
            throw new BackupException(ErrorKind.CONFLICT, "the backup job a dead virtchain run left on " + name
                    + " does not end after an abort; try 'virsh domjobabort " + name + "'");
        }
    }

    /** The running job's request, or null when it is no push backup into files, as virtchain begins them. */
    private DomainBackup runningBackup(String name, JobStats s) {
        if (s.operation() != JobStats.OPERATION_BACKUP && s.operation() != 0) {
            return null;
        }
        try {
            return DomainBackup.parse(hv.backupXml(name));
        } catch (HypervisorException e) {
            return null; // not a backup job after all
        } catch (LibvirtXmlException e) {
            return null; // pull mode or block targets: not a job virtchain began
        }
    }

    /** Whether a backup job writes into targets under partial names in {@code dir}. */
    static boolean writesInto(DomainBackup job, Path dir) {
        for (BackupDisk d : job.disks()) {
            if (!d.backup()) {
                continue;
            }
            Path f = Path.of(d.targetFile());
            if (!f.getFileName().toString().endsWith(Naming.PARTIAL_SUFFIX) || f.getParent() == null) {
                continue;
            }
            try {
                if (Files.isSameFile(f.getParent(), dir)) {
                    return true;
                }
            } catch (IOException e) {
                if (f.getParent().toAbsolutePath().normalize().equals(dir.toAbsolutePath().normalize())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Checkpoints of this backup set that no backup in the manifest owns: a run died after begin
     * made them. Deleting one merges its bitmap into its parent's, so the next inc still sees every
     * change since the chain's last backup.
     */
    private void deleteStaleCheckpoints(String name, Manifest saved) throws HypervisorException {
        if (saved == null) {
            return;
        }
        List<String> all = new ArrayList<>(hv.checkpointNames(name));
        Collections.reverse(all); // children first
        for (String c : all) {
            if (Naming.checkpointSeq(saved.setId(), c) > saved.lastSeq()) {
                hv.deleteCheckpoint(name, c, false);
                warn.accept("deleted checkpoint " + c + " of a virtchain run that died before it recorded its backup");
            }
        }
    }

    /** Deletes what runs that died left in the directory (see {@link Leftovers}). */
    private void deleteLeftovers(Path dir, Manifest saved) throws IOException {
        List<Path> left = Leftovers.find(dir, saved);
        for (Path p : left) {
            Files.deleteIfExists(p);
        }
        if (!left.isEmpty()) {
            warn.accept("deleted " + left.size() + " file" + (left.size() == 1 ? "" : "s")
                    + " a virtchain run that died left in " + dir + ": "
                    + String.join(", ", left.stream().map(p -> dir.relativize(p).toString()).toList()));
        }
    }

    /**
     * Redefines, from checkpoints/NAME.xml, the checkpoints of the current chain that libvirt lost
     * (a reinstalled daemon, a transient domain), parents first; returns libvirt's list after that.
     * One without saved XML stays lost: the planner decides what that means.
     */
    private List<String> redefineLost(String name, Manifest saved, Path dir) throws HypervisorException {
        List<String> have = hv.checkpointNames(name);
        if (saved == null) {
            return have;
        }
        int chainStart = saved.latestFull().map(Backup::seq).orElse(Integer.MAX_VALUE);
        boolean changed = false;
        for (Backup b : saved.backups().stream().sorted(Comparator.comparingInt(Backup::seq)).toList()) {
            if (b.seq() < chainStart || b.checkpoint() == null || have.contains(b.checkpoint())) {
                continue;
            }
            Path xml = dir.resolve(Naming.checkpointXml(b.checkpoint()));
            if (!Files.isRegularFile(xml)) {
                continue;
            }
            try {
                hv.redefineCheckpoint(name, Files.readString(xml));
                warn.accept("libvirt had lost checkpoint " + b.checkpoint() + "; redefined it from " + xml);
                changed = true;
            } catch (IOException e) {
                warn.accept("could not redefine lost checkpoint " + b.checkpoint() + ": " + e.getMessage());
            }
        }
        return changed ? hv.checkpointNames(name) : have;
    }
}
