package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainState;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.chain.Planner;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.SourceDisk;
import dev.virtchain.qcow2.Flattener;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Images;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.xml.BackupDisk;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.DiskSelection;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainBackup;
import dev.virtchain.xml.DomainCheckpoint;
import dev.virtchain.xml.DomainDisk;
import dev.virtchain.xml.SkippedDisk;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One push backup of one domain, all its disks in one libvirt job, as DESIGN.md's "How one push
 * backup runs" describes: lock, plan, pre-create the targets under partial names, begin, follow
 * the job, then either finish (fsync, checksums, rename, saved XML, and last the manifest, which
 * is the commit point) or clean up (abort, delete this run's files and checkpoint, manifest
 * untouched).
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
        Instant start = clock.instant();
        Files.createDirectories(o.dir());
        try (DirectoryLock lock = DirectoryLock.acquire(o.dir())) {
            Hypervisor.DomainRef ref = hv.domain(o.domain());
            boolean startedHere = false;
            if (!hv.isActive(ref.name())) {
                if (o.startPaused()) {
                    hv.start(ref.name(), true);
                    startedHere = true;
                } else if (o.level() != RequestedLevel.COPY) {
                    String article = o.level() == RequestedLevel.AUTO || o.level() == RequestedLevel.INC ? "an " : "a ";
                    throw new BackupException("domain " + ref.name() + " is not running: " + article + o.level().word()
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
    }

    private Backup backup(BackupOptions o, Hypervisor.DomainRef ref, boolean live)
            throws IOException, ChainException, InterruptedException {
        String name = ref.name();
        String domainXml = hv.domainXml(name);
        Domain domain = Domain.parse(domainXml);
        List<DomainDisk> disks = chooseDisks(o, domain);
        List<SourceDisk> sources = new ArrayList<>();
        for (DomainDisk d : disks) {
            sources.add(new SourceDisk(d.targetDev(), virtualSize(d), d.canCarryBitmaps()));
        }
        dev.virtchain.chain.Domain who = new dev.virtchain.chain.Domain(name, UUID.fromString(ref.uuid()));
        Manifest manifest = ManifestFile.read(o.dir()).orElseGet(() -> Manifest.empty(Naming.newSetId(), who));
        List<String> checkpoints = live ? redefineLost(name, manifest, o.dir()) : hv.checkpointNames(name);
        BackupPlan plan = Planner.plan(new ChainState(manifest, who, o.level(), checkpoints, sources, o.autoFull()));
        plan.warnings().forEach(this::warn);

        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("VIRTCHAIN_DOMAIN", name);
        facts.put("VIRTCHAIN_DIR", o.dir().toAbsolutePath().toString());
        facts.put("VIRTCHAIN_LEVEL", plan.level().word());
        facts.put("VIRTCHAIN_SEQ", Integer.toString(plan.seq()));
        Hooks.run("pre-hook", o.preHook(), o.hookTimeout(), facts);

        Targets targets = new Targets(o.dir(), plan);
        boolean checkpointMade = false;
        boolean committed = false;
        Backup backup;
        try {
            if (live) {
                targets.create();
                checkpointMade = begin(o, domain, plan, targets);
                try (JobWatcher watcher = new JobWatcher(hv, name, err, terminal)) {
                    JobStats end = watcher.await();
                    if (!end.succeeded()) {
                        throw new BackupException(watcher.interrupted()
                                ? "backup of " + name + " was interrupted and aborted; nothing was recorded"
                                : "backup job of " + name + " " + end.type().name().toLowerCase()
                                        + (end.error() != null ? ": " + end.error() : ""));
                    }
                    backup = commit(o, manifest, plan, targets, domain, domainXml);
                    committed = true;
                }
            } else {
                copyOffline(domain, plan, targets);
                backup = commit(o, manifest, plan, targets, domain, domainXml);
                committed = true;
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (!committed) {
                cleanUp(name, plan, targets, checkpointMade);
            }
            throw e;
        }
        for (String old : plan.checkpointsToDelete()) {
            try {
                hv.deleteCheckpoint(name, old, false);
            } catch (HypervisorException e) {
                warn("could not delete old checkpoint " + old + ": " + e.getMessage());
            }
        }
        facts.put("VIRTCHAIN_STATUS", "ok");
        Hooks.run("post-hook", o.postHook(), o.hookTimeout(), facts);
        return backup;
    }

    /** The disks to back up: what libvirt can back up, narrowed by --include and --exclude. */
    private List<DomainDisk> chooseDisks(BackupOptions o, Domain domain) throws BackupException {
        DiskSelection sel = DiskSelection.of(domain);
        Set<String> known = new java.util.HashSet<>();
        domain.disks().forEach(d -> known.add(d.targetDev()));
        for (String want : o.include()) {
            if (!known.contains(want)) {
                throw new BackupException("domain " + domain.name() + " has no disk " + want + " (--include)");
            }
        }
        for (SkippedDisk s : sel.skipped()) {
            if (o.include().contains(s.disk().targetDev())) {
                throw new BackupException("disk " + s.disk().targetDev() + " of " + domain.name()
                        + " cannot be backed up: " + s.reason());
            }
            if (s.disk().device().equals("disk")) {
                warn("disk " + s.disk().targetDev() + " skipped: " + s.reason());
            }
        }
        List<DomainDisk> out = new ArrayList<>();
        for (DomainDisk d : sel.backupable()) {
            boolean in = o.include().isEmpty() || o.include().contains(d.targetDev());
            if (in && !o.exclude().contains(d.targetDev())) {
                out.add(d);
            }
        }
        if (out.isEmpty()) {
            throw new BackupException("domain " + domain.name() + " has no disk left to back up");
        }
        return out;
    }

    private static long virtualSize(DomainDisk d) throws IOException {
        try (Image img = Images.open(d.source(), d.driverType(), false)) {
            return img.virtualSize();
        }
    }

    /**
     * Redefines, from checkpoints/NAME.xml, the checkpoints of the current chain that libvirt lost
     * (a reinstalled daemon, a transient domain), parents first; returns libvirt's list after that.
     */
    private List<String> redefineLost(String name, Manifest m, Path dir) throws HypervisorException {
        List<String> have = hv.checkpointNames(name);
        int chainStart = m.latestFull().map(Backup::seq).orElse(Integer.MAX_VALUE);
        boolean changed = false;
        for (Backup b : m.backups().stream().sorted(Comparator.comparingInt(Backup::seq)).toList()) {
            if (b.seq() < chainStart || b.checkpoint() == null || have.contains(b.checkpoint())) {
                continue;
            }
            Path saved = dir.resolve(Naming.checkpointXml(b.checkpoint()));
            if (!Files.isRegularFile(saved)) {
                continue;
            }
            try {
                hv.redefineCheckpoint(name, Files.readString(saved));
                warn("libvirt had lost checkpoint " + b.checkpoint() + "; redefined it from " + saved);
                changed = true;
            } catch (IOException e) {
                warn("could not redefine lost checkpoint " + b.checkpoint() + ": " + e.getMessage());
            }
        }
        return changed ? hv.checkpointNames(name) : have;
    }

    /** Freezes (when asked and possible), begins the job with its checkpoint, thaws. Returns whether a checkpoint was made. */
    private boolean begin(BackupOptions o, Domain domain, BackupPlan plan, Targets targets)
            throws HypervisorException, BackupException {
        String name = domain.name();
        List<BackupDisk> disks = new ArrayList<>();
        List<CheckpointDisk> tracked = new ArrayList<>();
        for (DomainDisk d : domain.disks()) {
            if (!d.device().equals("disk")) {
                continue;
            }
            PlannedDisk p = plan.disks().stream().filter(x -> x.target().equals(d.targetDev())).findFirst().orElse(null);
            if (p == null) {
                disks.add(BackupDisk.skipped(d.targetDev()));
                tracked.add(CheckpointDisk.untracked(d.targetDev()));
                continue;
            }
            BackupDisk b = BackupDisk.file(d.targetDev(), targets.partial(p).toAbsolutePath().toString());
            if (plan.incremental() != null && p.mode() == DiskMode.FULL) {
                b = b.withFullCopy(); // a disk new since the last backup
            }
            disks.add(b);
            tracked.add(d.canCarryBitmaps() ? CheckpointDisk.tracked(d.targetDev()) : CheckpointDisk.untracked(d.targetDev()));
        }
        String backupXml = (plan.incremental() == null ? DomainBackup.full(disks)
                : DomainBackup.since(plan.incremental(), disks)).toXml();
        String checkpointXml = plan.checkpoint() == null ? null
                : DomainCheckpoint.create(plan.checkpoint(), "virtchain " + plan.level().word() + " backup "
                        + plan.seq(), tracked).toXml();
        boolean frozen = false;
        if (o.freeze() != BackupOptions.Freeze.OFF) {
            try {
                frozen = hv.fsFreeze(name);
                if (!frozen) {
                    warn("no guest agent answered on " + name + ": the backup is crash-consistent, not frozen");
                }
            } catch (HypervisorException e) {
                // A paused guest (--start-paused, or suspended) cannot freeze, and writes nothing either.
                warn("could not freeze the filesystems of " + name + " (" + e.getMessage()
                        + "): the backup is crash-consistent");
            }
        }
        try {
            hv.backupBegin(name, backupXml, checkpointXml);
        } catch (HypervisorException e) {
            String msg = e.getMessage();
            if (plan.incremental() != null && msg != null && msg.toLowerCase().contains("bitmap")) {
                throw new BackupException(msg + "; the chain cannot continue from checkpoint " + plan.incremental()
                        + ": run a full backup (-l full), or use --auto-full");
            }
            throw e;
        } finally {
            if (frozen && !hv.fsThaw(name)) {
                warn("could not thaw the filesystems of " + name + " through its agent");
            }
        }
        return checkpointXml != null;
    }

    /** An inactive domain's copy: its disks' chains read natively and flattened into the targets. */
    private void copyOffline(Domain domain, BackupPlan plan, Targets targets) throws IOException {
        for (PlannedDisk p : plan.disks()) {
            DomainDisk d = domain.disk(p.target());
            try (Image src = Images.open(d.source(), d.driverType(), true)) {
                Flattener.flatten(src, targets.partial(p), Flattener.Options.qcow2(), Progress.NONE);
            }
            Files.setPosixFilePermissions(targets.partial(p), PosixFilePermissions.fromString("rw-------"));
        }
    }

    /** Finishes the targets, saves what restore needs, then writes the manifest: the commit point. */
    private Backup commit(BackupOptions o, Manifest manifest, BackupPlan plan, Targets targets, Domain domain,
            String domainXml) throws IOException, HypervisorException {
        List<DiskBackup> disks = targets.finish();
        Path dir = o.dir();
        writeFile(dir.resolve(plan.domainXml()), domainXml);
        if (plan.checkpoint() != null) {
            writeFile(dir.resolve(plan.checkpointXml()), hv.checkpointXml(domain.name(), plan.checkpoint()));
        }
        saveBootFiles(dir, domain, plan.seq(), manifest.latest().map(Backup::seq).orElse(null));
        Backup b = plan.done(clock.instant(), disks);
        ManifestFile.write(dir, manifest.with(b));
        return b;
    }

    /**
     * UEFI variables, kernel and initrd the domain boots from, kept beside the backup for restore
     * as nvram.SEQ.fd, kernel.SEQ and initrd.SEQ; a file unchanged since the previous backup
     * is a hard link to its copy there.
     */
    private void saveBootFiles(Path dir, Domain domain, int seq, Integer previous) {
        saveBootFile(domain.os().nvram(), dir, "nvram.%04d.fd", seq, previous);
        saveBootFile(domain.os().kernel(), dir, "kernel.%04d", seq, previous);
        saveBootFile(domain.os().initrd(), dir, "initrd.%04d", seq, previous);
    }

    private void saveBootFile(String source, Path dir, String pattern, int seq, Integer previous) {
        if (source == null || source.isBlank()) {
            return;
        }
        Path target = dir.resolve(String.format(pattern, seq));
        try {
            Files.deleteIfExists(target);
            Path before = previous == null ? null : dir.resolve(String.format(pattern, previous));
            if (before != null && Files.isRegularFile(before) && Files.mismatch(before, Path.of(source)) == -1) {
                Files.createLink(target, before);
            } else {
                Files.copy(Path.of(source), target);
            }
        } catch (IOException e) {
            warn("could not save " + source + " with the backup: " + e.getMessage());
        }
    }

    private static void writeFile(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + Naming.PARTIAL_SUFFIX);
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Aborts a job still running, deletes this run's files and the checkpoint it made. */
    private void cleanUp(String name, BackupPlan plan, Targets targets, boolean checkpointMade) {
        try {
            if (!hv.jobStats(name).finished()) {
                hv.abortJob(name);
                for (int i = 0; i < 100 && !hv.jobStats(name).finished(); i++) {
                    Thread.sleep(100);
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            // no job, or the domain is gone: nothing to abort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        targets.discard();
        if (checkpointMade) {
            try {
                hv.deleteCheckpoint(name, plan.checkpoint(), false);
            } catch (HypervisorException | RuntimeException e) {
                warn("could not delete checkpoint " + plan.checkpoint() + " of the failed run: " + e.getMessage());
            }
        }
    }

    private void warn(String message) {
        warnings.add(message);
        err.println("virtchain: warning: " + message);
        err.flush();
    }
}
