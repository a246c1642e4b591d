package dev.virtchain.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A backup directory and a domain, driven through the planner run after run as the backup
 * command will: plan, pretend the job succeeded, commit the manifest, and update the domain's
 * checkpoint list the way libvirt would (new checkpoint added, retired ones deleted).
 */
final class BackupRuns {
    static final String SET = "5e7a1c2b";
    static final Domain VM = new Domain("vm1", UUID.fromString("0f3c2a9e-6b1d-4c55-9a77-2b8e1d4f6a10"));
    static final long GIB = 1L << 30;
    /** Monday 2025-03-03, 02:00 UTC: the first night of the week in docs/DESIGN.md. */
    static final Instant MONDAY = Instant.parse("2025-03-03T02:00:00Z");

    Manifest manifest = Manifest.empty(SET, VM);
    Domain domain = VM;
    List<String> checkpoints = new ArrayList<>();
    /** Checkpoints libvirt refused a backup from (a bitmap missing or broken), with what it said. */
    Map<String, String> brokenCheckpoints = new HashMap<>();
    List<SourceDisk> disks = new ArrayList<>(List.of(qcow2("vda", 10 * GIB)));
    Instant clock = MONDAY;
    boolean autoFull;

    static SourceDisk qcow2(String target, long size) {
        return new SourceDisk(target, size, true);
    }

    static SourceDisk raw(String target, long size) {
        return new SourceDisk(target, size, false);
    }

    /** A made-up but well-formed checksum, different per file. */
    static Checksum sumOf(String file) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(file.getBytes(StandardCharsets.UTF_8));
            return new Checksum(Checksum.SHA256, HexFormat.of().formatHex(d));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    ChainState state(RequestedLevel level) {
        return new ChainState(manifest, domain, level, checkpoints, brokenCheckpoints, disks, autoFull);
    }

    BackupPlan plan(RequestedLevel level) throws PlanException {
        return Planner.plan(state(level));
    }

    /** Plans a run, lets it succeed and commits it; the next run is a day later. */
    BackupPlan run(RequestedLevel level) throws PlanException {
        BackupPlan p = plan(level);
        List<DiskBackup> done = new ArrayList<>();
        for (PlannedDisk d : p.disks()) {
            done.add(d.done(d.virtualSize() / 16, sumOf(d.file())));
        }
        manifest = manifest.with(p.done(clock, done));
        checkpoints.removeAll(p.checkpointsToDelete());
        if (p.checkpoint() != null) {
            checkpoints.add(p.checkpoint());
        }
        clock = clock.plus(Duration.ofDays(1));
        return p;
    }

    static String cp(int seq) {
        return Naming.checkpointName(SET, seq);
    }
}
