package dev.virtchain.chain;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the planner decides from, captured before a run.
 *
 * @param manifest          the directory's manifest; for a directory without one,
 *                          {@link Manifest#empty} with a {@linkplain Naming#newSetId() new set id}
 * @param domain            the domain being backed up now
 * @param requested         the level the user asked for
 * @param checkpoints       the domain's checkpoint names as libvirt lists them now
 * @param brokenCheckpoints checkpoints libvirt lists but refused a backup from, because a bitmap of
 *                          theirs is missing or broken, each with libvirt's words; empty until a
 *                          job was refused
 * @param disks             the disks to back up now, in the domain's order
 * @param autoFull          whether an inc or diff that cannot build on its checkpoint (gone, or its
 *                          bitmap broken) falls back to a full
 */
public record ChainState(Manifest manifest, Domain domain, RequestedLevel requested, List<String> checkpoints,
        Map<String, String> brokenCheckpoints, List<SourceDisk> disks, boolean autoFull) {
    public ChainState {
        if (manifest == null || domain == null || requested == null) {
            throw new IllegalArgumentException("manifest, domain and requested level are required");
        }
        checkpoints = List.copyOf(checkpoints);
        brokenCheckpoints = Map.copyOf(brokenCheckpoints);
        disks = List.copyOf(disks);
    }

    /** The state before any job was refused: no broken checkpoints known. */
    public ChainState(Manifest manifest, Domain domain, RequestedLevel requested, List<String> checkpoints,
            List<SourceDisk> disks, boolean autoFull) {
        this(manifest, domain, requested, checkpoints, Map.of(), disks, autoFull);
    }

    /**
     * This state once libvirt refused a backup from {@code checkpoint} because a bitmap of it is
     * missing or broken; {@code why} is what libvirt said.
     */
    public ChainState withBrokenCheckpoint(String checkpoint, String why) {
        Map<String, String> broken = new HashMap<>(brokenCheckpoints);
        broken.put(checkpoint, why);
        return new ChainState(manifest, domain, requested, checkpoints, broken, disks, autoFull);
    }
}
