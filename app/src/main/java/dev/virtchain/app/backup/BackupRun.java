package dev.virtchain.app.backup;

import dev.virtchain.app.cli.Trace;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainState;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.PlanException;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.chain.Planner;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.SourceDisk;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.ops.Flattener;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One backup of one domain, told in the steps of docs/DESIGN.md's "How one push backup runs": lock the
 * directory; put right what dead runs left ({@link Recovery}); plan ({@link Planner}); create the
 * targets under partial names ({@link Targets}); begin one libvirt job for all disks
 * ({@link JobRequest}) and follow it ({@link JobWatcher}); commit: finish the targets, save the
 * {@link SideFiles}, and last write the manifest, the commit point. Until then any failure cleans
 * up: the job aborted, this run's files and checkpoint deleted, the manifest untouched. An inactive
 * domain's disks are copied natively instead of the job.
 */
public final class BackupRun {
    private final Hypervisor hv;
    private final Clock clock;
    private final PrintWriter err;
    private final boolean terminal;
    private final List<String> warnings = new ArrayList<>();

    public BackupRun(Hypervisor hv, Clock clock, PrintWriter err, boolean terminal) {
        this.hv = hv;
        this.clock = clock;
        this.err = err;
        this.terminal = terminal;
    }

    public BackupReport run(BackupOptions o) throws IOException, ChainException, InterruptedException {
        try (DirectoryLock lock = lock(o.dir())) {
            return runLocked(o);
        }
    }

    /**
     * Takes the backup directory's lock (creating the directory). The CLI takes it before it
     * connects to libvirt: an embedded driver root serves one process at a time, so a second run
     * would otherwise fail on libvirt's pid file instead of on the directory.
     */
    public static DirectoryLock lock(Path dir) throws IOException, ChainException {
        Files.createDirectories(dir);
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            // Made here so that readers who cannot write DIR find it to lock (never opened if there:
            // closing a file drops this process's locks on it).
            Files.createFile(dir.resolve(Naming.READERS_LOCK));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by an earlier run
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return lock;
    }

    /** {@link #run} for a caller that holds the directory's {@link #lock} already. */
    public BackupReport runLocked(BackupOptions o) throws IOException, ChainException, InterruptedException {
        Instant start = clock.instant();
        Hypervisor.DomainRef ref = hv.domain(o.domain());
        Trace.mark("run: domain looked up");
        boolean startedHere = false;
        if (!hv.isActive(ref.name())) {
            if (o.startPaused()) {
                hv.start(ref.name(), true);
                startedHere = true;
                // Its vCPUs never ran: the disks hold what the guest left at shutdown and nothing
                // writes to them, so there is nothing to freeze and the backup is consistent.
                o = o.withFreeze(BackupOptions.Freeze.OFF);
            } else if (o.level() != RequestedLevel.COPY) {
                throw new BackupException(ErrorKind.CONFLICT,
                        "domain " + ref.name() + " is not running: " + o.level().withArticle()
                        + " backup needs it running; use --start-paused, or -l copy for a copy of its disks");
            }
        }
        try {
            Backup b = backup(o, ref, startedHere || hv.isActive(ref.name()));
            return new BackupReport(ref.name(), o.dir(), b, Duration.between(start, clock.instant()),
                    List.copyOf(warnings));
        } finally {
            if (startedHere) {
                try {
                    hv.destroy(ref.name());
                } catch (HypervisorException e) {
                    warn("could not stop domain " + ref.name() + " after the backup: " + e.getMessage());
                }
            }
        }
    }

    private Backup backup(BackupOptions o, Hypervisor.DomainRef ref, boolean live)
            throws IOException, ChainException, InterruptedException {
        String name = ref.name();
        String domainXml = hv.domainXml(name);
        Trace.mark("run: domain XML fetched");
        Domain domain = Domain.parse(domainXml);
        Trace.mark("run: domain XML read");
        List<SourceDisk> disks = DiskChoice.of(o, domain, this::warn);
        if (live) {
            new QemuView(Path.of("/proc")).check(name, ref.uuid(), o.dir());
            Trace.mark("run: qemu's view of the directory checked");
            warnIfPausedByAnIoError(name);
        }
        dev.virtchain.chain.Domain who = new dev.virtchain.chain.Domain(name, UUID.fromString(ref.uuid()));
        Manifest saved = ManifestFile.read(o.dir()).orElse(null);
        Manifest manifest = saved != null ? saved : Manifest.empty(Naming.newSetId(), who);
        Trace.mark("run: disks sized, manifest read");
        List<String> checkpoints = new Recovery(hv, this::warn).recover(name, o.dir(), saved, live);
        ChainState state = new ChainState(manifest, who, o.level(), checkpoints, disks, o.autoFull());
        BackupPlan plan = plan(state);
        Trace.mark("run: planned");
        Hooks.run("pre-hook", o.preHook(), o.hookTimeout(), facts(o, name, plan));
        Done done = live ? push(o, state, plan, domain, domainXml) : copy(o, manifest, plan, domain, domainXml);
        retire(name, done.plan().checkpointsToDelete());
        Map<String, String> facts = facts(o, name, done.plan());
        facts.put("VIRTCHAIN_STATUS", "ok");
        Hooks.run("post-hook", o.postHook(), o.hookTimeout(), facts);
        return done.backup();
    }

    /** The backup a run recorded, and the plan it followed (a fallback full's, when the planned one was refused). */
    private record Done(BackupPlan plan, Backup backup) {
    }

    /** The planner's plan for {@code state}; its warnings are the run's. */
    private BackupPlan plan(ChainState state) throws PlanException {
        BackupPlan plan = Planner.plan(state);
        plan.warnings().forEach(this::warn);
        return plan;
    }

    /** What hooks see of the run in their environment. */
    private static Map<String, String> facts(BackupOptions o, String domain, BackupPlan plan) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("VIRTCHAIN_DOMAIN", domain);
        facts.put("VIRTCHAIN_DIR", o.dir().toAbsolutePath().toString());
        facts.put("VIRTCHAIN_LEVEL", plan.level().word());
        facts.put("VIRTCHAIN_SEQ", Integer.toString(plan.seq()));
        return facts;
    }

    /**
     * A running domain's backup: one push job into the targets, followed to its end, then the
     * commit. Whatever fails (a signal too) leaves nothing of the run behind.
     */
    private Done push(BackupOptions o, ChainState state, BackupPlan plan, Domain domain, String domainXml)
            throws IOException, InterruptedException {
        String name = domain.name();
        try (JobWatcher watcher = new JobWatcher(hv, name, err, terminal)) {
            Job job = null;
            try {
                job = begin(o, state, plan, domain, domainXml, watcher);
                watcher.begun();
                Trace.mark("run: job begun");
                JobStats end = watcher.await(job.targets()::startWriteback);
                Trace.mark("run: job ended");
                watcher.checkInterrupted();
                if (!end.succeeded()) {
                    String why = PushFailures.jobLine(name, end,
                            PushFacts.gather(hv, domain, job.plan(), job.targets(), o.dir(), Path.of("/proc")));
                    throw new BackupException(ErrorKind.IO, (why != null ? why : "backup job of " + name + " "
                            + end.type().name().toLowerCase() + (end.error() != null ? ": " + end.error() : ""))
                            + "; its files and checkpoint were deleted, nothing was recorded");
                }
                return new Done(job.plan(), commit(o, state.manifest(), job.plan(), job.targets(), domain, domainXml,
                        watcher));
            } catch (IOException | InterruptedException | RuntimeException e) {
                if (job != null) {
                    cleanUp(name, o.dir(), job.plan(), job.targets(), job.plan().checkpoint() != null);
                }
                if (watcher.interrupted() && !(e instanceof BackupInterruptedException)) {
                    throw watcher.interruption();
                }
                throw e;
            }
        }
    }

    /** A job that began: what it follows and the files it writes. */
    private record Job(BackupPlan plan, Targets targets) {
    }

    /**
     * Creates the plan's targets and begins its job. When libvirt refuses an inc or diff because a
     * bitmap of its checkpoint is missing or broken, the planner decides what comes instead (a full
     * with --auto-full), and that begins. A failure leaves nothing of the attempt behind.
     */
    private Job begin(BackupOptions o, ChainState state, BackupPlan plan, Domain domain, String domainXml,
            JobWatcher watcher)
            throws IOException, InterruptedException {
        Targets targets = new Targets(o.dir(), plan);
        try {
            targets.create();
            Trace.mark("run: targets created");
            watcher.checkInterrupted();
            JobRequest request = JobRequest.of(domain, plan, targets);
            String backupXml = request.backupXml();
            String checkpointXml = request.checkpointXml();
            Trace.mark("run: job XML made");
            GuestFreeze freeze = GuestFreeze.of(hv, domain.name(), domainXml, o.freeze(), o.freezeMountpoints(),
                    this::warn);
            Trace.mark("run: freeze tried");
            try {
                hv.backupBegin(domain.name(), backupXml, checkpointXml);
            } catch (HypervisorException e) {
                if (e.isCheckpointInconsistent()) {
                    throw e; // the planner decides below
                }
                throw PushFailures.begin(domain.name(), hv.uri(), e,
                        PushFacts.gather(hv, domain, plan, targets, o.dir(), Path.of("/proc")));
            } finally {
                freeze.thaw();
            }
            return new Job(plan, targets);
        } catch (IOException | InterruptedException | RuntimeException e) {
            cleanUp(domain.name(), o.dir(), plan, targets, false);
            if (!refusedForABrokenBitmap(e, plan)) {
                throw e;
            }
            ChainState known = state.withBrokenCheckpoint(plan.incremental(), e.getMessage());
            try {
                return begin(o, known, plan(known), domain, domainXml, watcher); // a full: no checkpoint to refuse
            } catch (PlanException refused) {
                throw new BackupException(refused.kind(), refused.getMessage()); // the job was refused: the run fails
            }
        }
    }

    /** Whether libvirt refused the plan's inc or diff because a bitmap of its checkpoint is missing or broken. */
    private static boolean refusedForABrokenBitmap(Exception e, BackupPlan plan) {
        return plan.incremental() != null && e instanceof HypervisorException h && h.isCheckpointInconsistent();
    }

    /** An inactive domain's backup: its disks copied into the targets, then the commit. */
    private Done copy(BackupOptions o, Manifest manifest, BackupPlan plan, Domain domain, String domainXml)
            throws IOException {
        Targets targets = new Targets(o.dir(), plan);
        try {
            copyOffline(domain, plan, targets);
            return new Done(plan, commit(o, manifest, plan, targets, domain, domainXml, null));
        } catch (IOException | RuntimeException e) {
            cleanUp(domain.name(), o.dir(), plan, targets, false);
            throw e;
        }
    }

    /**
     * An inactive domain's copy: its disks' chains read natively and flattened into the targets.
     * Never by shared extents (reflink): a backup that shares its blocks with the disk it backs
     * up dies with them when they are damaged.
     */
    private void copyOffline(Domain domain, BackupPlan plan, Targets targets) throws IOException {
        for (PlannedDisk p : plan.disks()) {
            DomainDisk d = domain.disk(p.target());
            try (Image src = Images.open(d.source(), d.driverType(), true)) {
                Flattener.flatten(src, targets.partial(p), Flattener.Options.qcow2().withReflink(false), Progress.NONE);
                Files.setPosixFilePermissions(targets.partial(p), PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                throw targets.about(p, e);
            }
        }
    }

    /**
     * Saves the {@link SideFiles} of {@code plan}'s backup, once its files are final: saved earlier
     * (while the job runs), a run killed meanwhile would leave them for no manifest to name.
     */
    private void saveSideFiles(BackupOptions o, Manifest manifest, BackupPlan plan, Domain domain, String domainXml)
            throws IOException {
        String checkpointXml = plan.checkpoint() == null ? null : hv.checkpointXml(domain.name(), plan.checkpoint());
        new SideFiles(o.dir(), plan, this::warn).save(domain, domainXml, hv.inactiveXml(domain.name()), checkpointXml,
                manifest.latest().map(Backup::seq).orElse(null));
        Trace.mark("run: side files saved");
    }

    /** Finishes the targets, saves the side files, then writes the manifest: the commit point. */
    private Backup commit(BackupOptions o, Manifest manifest, BackupPlan plan, Targets targets, Domain domain,
            String domainXml, JobWatcher watcher) throws IOException {
        List<DiskBackup> disks = targets.finish(o.checksum());
        Trace.mark("run: targets synced and summed");
        saveSideFiles(o, manifest, plan, domain, domainXml);
        Backup b = plan.done(clock.instant(), disks);
        if (watcher != null) {
            watcher.checkInterrupted(); // the last moment a signal still means "record nothing"
        }
        // The domain as it is now: its name may have changed, and restore's hints name the URI.
        dev.virtchain.chain.Domain now = new dev.virtchain.chain.Domain(domain.name(), manifest.domain().uuid(), hv.uri());
        ManifestFile.write(o.dir(), manifest.withDomain(now).with(b));
        Trace.mark("run: manifest written");
        return b;
    }

    /**
     * Aborts a job still running, deletes this run's files (partial and, if it got that far, final
     * names; its saved XML) and the checkpoint it made. The manifest never named any of it.
     */
    private void cleanUp(String name, Path dir, BackupPlan plan, Targets targets, boolean checkpointMade) {
        try {
            if (!hv.jobStats(name).finished()) {
                JobWatcher.abortAndWait(hv, name, Duration.ofSeconds(30));
            }
        } catch (HypervisorException | RuntimeException e) {
            // no job, or the domain is gone: nothing to abort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        targets.discard();
        new SideFiles(dir, plan, this::warn).delete();
        if (checkpointMade) {
            try {
                hv.deleteCheckpoint(name, plan.checkpoint(), false);
            } catch (HypervisorException | RuntimeException e) {
                warn("could not delete checkpoint " + plan.checkpoint() + " of the failed run: " + e.getMessage());
            }
        }
    }

    /** Deletes the checkpoints a full retires, once the manifest names the new backup. */
    private void retire(String domain, List<String> checkpoints) {
        for (String old : checkpoints) {
            try {
                hv.deleteCheckpoint(domain, old, false);
            } catch (HypervisorException e) {
                warn("could not delete old checkpoint " + old + ": " + e.getMessage());
            }
        }
        Trace.mark("run: old checkpoints deleted");
    }

    /** A domain an I/O error paused can be backed up (as it was when it paused), but its owner must know. */
    private void warnIfPausedByAnIoError(String name) {
        try {
            String pause = PushFailures.ioErrorPause(name, hv.state(name), hv.diskErrors(name));
            if (pause != null) {
                warn(pause + "; the backup holds its disks as they were when it paused");
            }
        } catch (HypervisorException e) {
            // no state to read (a fake, an old driver): nothing to warn about
        }
    }

    private void warn(String message) {
        warnings.add(message);
        err.println("virtchain: warning: " + message);
        err.flush();
    }
}
