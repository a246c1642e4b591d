package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.DomainState;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.qcow2.ErrorKind;
import java.util.Map;

/**
 * The one place that turns a push backup's failure into one line saying what went wrong and what
 * to do. It reads libvirt's structured answers, never its message text: the error's code and
 * origin (virErrorNumber, virErrorDomain), and the {@link PushFacts} gathered when it failed (the
 * domain's state and reason, its running job's operation, each disk's block job and I/O error, the
 * qcow2 version of each disk, who qemu runs as and what the targets allow, the target's free
 * space). A failure none of this explains keeps libvirt's own words.
 */
final class PushFailures {
    // virDomainBlockJobType
    private static final String[] BLOCK_JOBS = {"unknown", "pull", "copy", "commit", "active commit", "backup"};
    // virDomainJobOperation
    private static final String[] OPERATIONS = {"unknown", "start", "save to a file", "restore from a file",
        "incoming migration", "outgoing migration", "snapshot", "snapshot revert", "core dump", "backup",
        "snapshot delete"};
    /** Less than this free on the target's file system after a failed job: it ran full. */
    static final long FULL_BELOW = 1L << 20;

    private PushFailures() {
    }

    /**
     * Why {@code virDomainBackupBegin} on {@code domain} failed with {@code e}, as a BackupException
     * carrying one actionable line, or {@code e} itself when nothing here explains it.
     */
    static java.io.IOException begin(String domain, String uri, HypervisorException e, PushFacts f) {
        String line = beginLine(domain, uri, e, f);
        return line == null ? e : new BackupException(kindOf(e, f), line, e);
    }

    /** The line for a refused backup begin, or null. */
    static String beginLine(String domain, String uri, HypervisorException e, PushFacts f) {
        if (e.code() == HypervisorException.NO_SUPPORT) {
            return noBackupApi(uri);
        }
        if (e.code() == HypervisorException.INVALID_ARG) {
            return "libvirt on " + uri + " refuses an argument of the push backup virtchain asks for (" + e.getMessage()
                    + "): a libvirt older than virtchain needs refuses its flags; upgrade libvirt (Debian 12's"
                    + " libvirt 9.0 with qemu 7.2 is known to work)";
        }
        String busy = busyLine(domain, f);
        if (busy != null) {
            return busy;
        }
        for (Map.Entry<String, String> v2 : f.version2Disks().entrySet()) {
            return "domain " + domain + ": disk " + v2.getKey() + " (" + v2.getValue() + ") is a qcow2 version 2 image"
                    + " (compat=0.10), which cannot hold the persistent bitmap a checkpoint needs: upgrade it while "
                    + domain + " is shut off (qemu-img amend -f qcow2 -o compat=1.1 " + v2.getValue() + "), leave it"
                    + " out (--exclude " + v2.getKey() + "), or make copies of it (-l copy)";
        }
        String access = accessLine(domain, f);
        if (access != null) {
            return access;
        }
        if (f.confinement() != null) {
            return e.getMessage() + " (qemu of " + domain + " is confined by " + f.confinement() + ": if the kernel"
                    + " log shows a denial for " + f.dir() + ", allow that directory in " + domain + "'s profile"
                    + " or back up into one it allows)";
        }
        return null;
    }

    /**
     * {@code e} as the line for a driver without the calls a push backup needs (VIR_ERR_NO_SUPPORT:
     * libvirt's test driver, or an old libvirt), or {@code e} itself when it is another failure.
     */
    static java.io.IOException unsupported(String uri, HypervisorException e) {
        return e.code() == HypervisorException.NO_SUPPORT
                ? new BackupException(ErrorKind.UNSUPPORTED, noBackupApi(uri), e) : e;
    }

    private static String noBackupApi(String uri) {
        return "libvirt on " + uri + " cannot make push-mode backups (its driver lacks libvirt's backup and job"
                + " calls): back up through libvirt's qemu driver (qemu:///system, or qemu:///embed?root=DIR) of"
                + " libvirt 6.0 or later with qemu 4.2 or later";
    }

    /** A block job on a disk of the backup, or a job (migration, save, ...) holding the whole domain; else null. */
    static String busyLine(String domain, PushFacts f) {
        for (Map.Entry<String, Integer> j : f.blockJobs().entrySet()) {
            String disk = j.getKey();
            return "domain " + domain + ": disk " + disk + " is busy with a block job (" + name(BLOCK_JOBS, j.getValue())
                    + "), and libvirt runs one job per disk: wait for it to end (virsh blockjob " + domain + " " + disk
                    + " --info) or abort it (virsh blockjob " + domain + " " + disk + " --abort), then back up again";
        }
        if (f.job() != null && !f.job().finished() && f.job().operation() != JobStats.OPERATION_BACKUP) {
            return otherJob(domain, f.job());
        }
        if (f.state() != null && f.state().pausedForAJob()) {
            return "domain " + domain + " is paused by a " + switch (f.state().reason()) {
                case DomainState.PAUSED_SAVE -> "save to a file";
                case DomainState.PAUSED_DUMP -> "core dump";
                default -> "migration";
            } + ": back up once it has ended (virsh domjobinfo " + domain + "; virsh domstate " + domain
                    + " --reason)";
        }
        return null;
    }

    /** The line for a domain busy with a job that is not virtchain's backup: a migration, a save, a dump. */
    static String otherJob(String domain, JobStats job) {
        String what = job.operation() == JobStats.OPERATION_BACKUP ? "another backup"
                : job.operation() > 0 && job.operation() < OPERATIONS.length
                        ? ("aeiou".indexOf(OPERATIONS[job.operation()].charAt(0)) >= 0 ? "an " : "a ")
                        + OPERATIONS[job.operation()]
                : "another job (libvirt job operation " + job.operation() + ")";
        return "domain " + domain + " is busy with " + what + ": back up once it has ended (virsh domjobinfo " + domain
                + "), or abort it with 'virsh domjobabort " + domain + "'";
    }

    /** A target qemu's user may not write, or one the file system gave to another user than us (root squash). */
    static String accessLine(String domain, PushFacts f) {
        for (PushFacts.TargetFile t : f.targets()) {
            if (f.ourUid() >= 0 && t.uid() != f.ourUid()) {
                return "domain " + domain + ": " + f.dir() + " gives the files virtchain creates to another user ("
                        + t.path().getFileName() + " belongs to uid " + t.uid() + " instead of " + f.ourUid() + "), as"
                        + " a root-squashed NFS export does, and qemu cannot write them: export it with no_root_squash,"
                        + " or back up into a local directory";
            }
            PushFacts.QemuUser q = f.qemu();
            // With dynamic_ownership on, libvirt gave the target to qemu's user for the job and took it back.
            if (q != null && Boolean.FALSE.equals(f.handsOver()) && !t.writableBy(q)) {
                return "domain " + domain + ": its qemu runs as " + q.describe() + ", which may not write "
                        + t.path() + " (" + t.describe() + "), and libvirt did not hand it over: set"
                        + " dynamic_ownership = 1 in qemu.conf (libvirt then gives each backup target to qemu's user),"
                        + " or run qemu as root (user = \"root\")";
            }
        }
        return null;
    }

    /**
     * Why a push job that began ended without success, as one line, or null when the facts do not
     * explain it (the caller then reports libvirt's words).
     */
    static String jobLine(String domain, JobStats end, PushFacts f) {
        if (f.usableBytes() >= 0 && f.usableBytes() < FULL_BELOW) {
            return "backup job of " + domain + " failed: the file system of " + f.dir() + " is full ("
                    + f.usableBytes() / 1024 + " KiB free): free space there, or back up into a directory with room"
                    + " for the disks' data";
        }
        String pause = ioErrorPause(domain, f.state(), f.diskErrors());
        if (pause != null) {
            return "backup job of " + domain + " failed while " + pause;
        }
        return null;
    }

    /**
     * The warning for a domain paused by an I/O error on one of its disks (its storage failed or ran
     * full, with the disk's error policy stop), or null when it is not.
     */
    static String ioErrorPause(String domain, DomainState state, Map<String, Integer> diskErrors) {
        if (state == null || !state.pausedByIoError()) {
            return null;
        }
        StringBuilder disks = new StringBuilder();
        diskErrors.forEach((disk, code) -> disks.append(disks.length() == 0 ? "" : ", ").append(disk)
                .append(code == 2 ? " (no space left on its storage)" : " (its storage failed)"));
        String which = disks.length() == 0 ? "a disk" : "disk " + disks;
        return "domain " + domain + " is paused after an I/O error on " + which + ": make room for (or repair) the"
                + " storage of its disk images, then resume it (virsh resume " + domain + ")";
    }

    private static ErrorKind kindOf(HypervisorException e, PushFacts f) {
        if (e.code() == HypervisorException.NO_SUPPORT || e.code() == HypervisorException.INVALID_ARG
                || !f.version2Disks().isEmpty()) {
            return ErrorKind.UNSUPPORTED;
        }
        return busyLine("", f) != null ? ErrorKind.CONFLICT : ErrorKind.IO;
    }

    private static String name(String[] names, int i) {
        return i >= 0 && i < names.length ? names[i] : "type " + i;
    }
}
