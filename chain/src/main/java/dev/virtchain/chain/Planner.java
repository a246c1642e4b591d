package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans one backup run: a pure function from {@link ChainState} to {@link BackupPlan}
 * (docs/DESIGN.md, "Backup levels and links"). It reads nothing and changes nothing; the rules:
 *
 * <ul>
 * <li>A full backup starts a new chain: no incremental checkpoint, no links, a new checkpoint, and
 *     every older virtchain checkpoint of the domain is retired.</li>
 * <li>Auto is full when the directory has no full backup (or a source disk is raw), inc otherwise.</li>
 * <li>An inc links to the previous backup of the chain whatever its level (full, inc or diff) and
 *     uses that backup's checkpoint as incremental.</li>
 * <li>A diff links to the chain's full backup and uses the full's checkpoint as incremental.</li>
 * <li>A copy makes no checkpoint, links to nothing and leaves checkpoints alone.</li>
 * <li>Inc and diff need a full backup, a checkpoint libvirt still lists, no raw source disk, and
 *     bitmaps of that checkpoint libvirt has not found missing or broken (a job it refused says so:
 *     {@link ChainState#brokenCheckpoints}). With auto-full a checkpoint that is gone or broken
 *     falls back to a full with a warning; without, planning fails with advice.</li>
 * <li>Per disk: a disk not in the parent backup gets a full copy inside an inc or diff; a resized
 *     disk continues its chain at its new size; a removed disk is simply not backed up.</li>
 * <li>Seq numbers never repeat: the next one is above every seq in the manifest and every seq a
 *     checkpoint of this set carries (a run that died after creating its checkpoint used one).</li>
 * </ul>
 */
public final class Planner {
    private Planner() {
    }

    public static BackupPlan plan(ChainState s) throws PlanException {
        Manifest m = s.manifest();
        List<String> warnings = new ArrayList<>();
        checkDomain(m, s.domain(), warnings);
        checkDisks(s.disks());
        int seq = nextSeq(m, s.checkpoints());
        Level level = resolveLevel(s, warnings);
        if (level == Level.INC || level == Level.DIFF) {
            Backup full = m.latestFull().orElseThrow(() -> new PlanException(
                    "no full backup in this directory for " + (level == Level.INC ? "an inc" : "a diff")
                            + " to build on", "run a full backup first (or use level auto)"));
            Backup parent = level == Level.INC ? m.chainTip().orElseThrow() : full;
            String since = parent.checkpoint();
            if (!s.checkpoints().contains(since)) {
                String gone = "checkpoint " + since + " of backup " + parent.seq() + " is gone from domain "
                        + s.domain().name() + ", so libvirt cannot tell what changed since then";
                return fullInstead(s, seq, gone, warnings,
                        new PlanException(gone, "run a full backup (or add --auto-full to fall back to one)"));
            }
            String broken = s.brokenCheckpoints().get(since);
            if (broken != null) {
                return fullInstead(s, seq, broken + "; the chain cannot continue from checkpoint " + since, warnings,
                        new PlanException(broken, "the chain cannot continue from checkpoint " + since
                                + ": run a full backup (-l full), or use --auto-full"));
            }
            return linked(s, level, seq, parent, warnings);
        }
        return standalone(s, level, seq, warnings);
    }

    /** An inc or diff that cannot build on its checkpoint: a full saying {@code why} with auto-full, else {@code refusal}. */
    private static BackupPlan fullInstead(ChainState s, int seq, String why, List<String> warnings,
            PlanException refusal) throws PlanException {
        if (!s.autoFull()) {
            throw refusal;
        }
        warnings.add(why + "; taking a full backup instead (--auto-full)");
        return standalone(s, Level.FULL, seq, warnings);
    }

    private static Level resolveLevel(ChainState s, List<String> warnings) throws PlanException {
        List<String> raw = s.disks().stream().filter(d -> !d.bitmapCapable()).map(SourceDisk::target).toList();
        switch (s.requested()) {
            case AUTO:
                if (!raw.isEmpty()) {
                    warnings.add("raw source disks allow only full and copy backups (" + String.join(", ", raw)
                            + " cannot carry dirty bitmaps); auto takes a full backup");
                    return Level.FULL;
                }
                return s.manifest().latestFull().isPresent() ? Level.INC : Level.FULL;
            case INC:
            case DIFF:
                if (!raw.isEmpty()) {
                    throw new PlanException(ErrorKind.UNSUPPORTED, "raw source disks allow only full and copy backups: "
                            + String.join(", ", raw) + (raw.size() == 1 ? " is raw and cannot" : " are raw and cannot")
                            + " carry the dirty bitmaps " + (s.requested() == RequestedLevel.INC ? "an inc" : "a diff")
                            + " needs", "run a full or copy backup, or leave " + String.join(", ", raw) + " out");
                }
                return s.requested().level();
            default:
                return s.requested().level();
        }
    }

    /** Full or copy: every disk in full, no links; a full retires the older virtchain checkpoints. */
    private static BackupPlan standalone(ChainState s, Level level, int seq, List<String> warnings) {
        List<PlannedDisk> disks = new ArrayList<>();
        for (SourceDisk d : s.disks()) {
            disks.add(new PlannedDisk(d.target(), Naming.diskFile(d.target(), seq, level), d.virtualSize(), null,
                    DiskMode.FULL));
        }
        if (level == Level.COPY) {
            return new BackupPlan(level, seq, null, null, null, disks, List.of(), warnings);
        }
        String ours = Naming.CHECKPOINT_PREFIX + s.manifest().setId() + ".";
        List<String> retire = s.checkpoints().stream().filter(Naming::isVirtchainCheckpoint).toList();
        List<String> foreign = retire.stream().filter(c -> !c.startsWith(ours)).toList();
        if (!foreign.isEmpty()) {
            warnings.add("deleting checkpoints of another virtchain backup set (" + String.join(", ", foreign)
                    + "): the next inc or diff into that directory will need a full backup");
        }
        return new BackupPlan(level, seq, null, null, Naming.checkpointName(s.manifest().setId(), seq), disks,
                retire, warnings);
    }

    /** Inc or diff on top of {@code parent}, whose checkpoint libvirt still has. */
    private static BackupPlan linked(ChainState s, Level level, int seq, Backup parent, List<String> warnings) {
        List<PlannedDisk> disks = new ArrayList<>();
        for (SourceDisk d : s.disks()) {
            String file = Naming.diskFile(d.target(), seq, level);
            DiskBackup below = parent.disk(d.target()).orElse(null);
            if (below == null) {
                warnings.add("disk " + d.target() + " is not in backup " + parent.seq() + ": it gets a full copy in this "
                        + level.word() + " backup");
                disks.add(new PlannedDisk(d.target(), file, d.virtualSize(), null, DiskMode.FULL));
                continue;
            }
            if (below.virtualSize() != d.virtualSize()) {
                warnings.add("disk " + d.target() + " was resized from " + below.virtualSize() + " to "
                        + d.virtualSize() + " bytes since backup " + parent.seq() + ": its chain continues at the new size");
            }
            disks.add(new PlannedDisk(d.target(), file, d.virtualSize(), below.file(), DiskMode.INCREMENTAL));
        }
        return new BackupPlan(level, seq, parent.seq(), parent.checkpoint(),
                Naming.checkpointName(s.manifest().setId(), seq), disks, List.of(), warnings);
    }

    private static void checkDomain(Manifest m, Domain now, List<String> warnings) throws PlanException {
        if (!m.domain().uuid().equals(now.uuid())) {
            throw new PlanException("this directory holds backups of domain " + m.domain().name() + " ("
                    + m.domain().uuid() + "), not of " + now.name() + " (" + now.uuid() + ")",
                    "use another directory for " + now.name());
        }
        if (!m.domain().name().equals(now.name()) && !m.backups().isEmpty()) {
            warnings.add("domain " + m.domain().name() + " is now called " + now.name());
        }
    }

    private static void checkDisks(List<SourceDisk> disks) throws PlanException {
        if (disks.isEmpty()) {
            throw new PlanException("no disks to back up", "check the domain's disks and --include/--exclude");
        }
        Set<String> seen = new HashSet<>();
        for (SourceDisk d : disks) {
            if (!seen.add(d.target())) {
                throw new PlanException("disk " + d.target() + " is listed twice", null);
            }
        }
    }

    private static int nextSeq(Manifest m, List<String> checkpoints) {
        int last = m.lastSeq();
        for (String c : checkpoints) {
            last = Math.max(last, Naming.checkpointSeq(m.setId(), c));
        }
        return last + 1;
    }
}
