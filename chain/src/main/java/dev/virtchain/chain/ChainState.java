package dev.virtchain.chain;

import java.util.List;

/**
 * Everything the planner decides from, captured before a run.
 *
 * @param manifest    the directory's manifest; for a directory without one,
 *                    {@link Manifest#empty} with a {@linkplain Naming#newSetId() new set id}
 * @param domain      the domain being backed up now
 * @param requested   the level the user asked for
 * @param checkpoints the domain's checkpoint names as libvirt lists them now
 * @param disks       the disks to back up now, in the domain's order
 * @param autoFull    whether an inc or diff whose checkpoint is gone falls back to a full
 */
public record ChainState(Manifest manifest, Domain domain, RequestedLevel requested, List<String> checkpoints,
        List<SourceDisk> disks, boolean autoFull) {
    public ChainState {
        if (manifest == null || domain == null || requested == null) {
            throw new IllegalArgumentException("manifest, domain and requested level are required");
        }
        checkpoints = List.copyOf(checkpoints);
        disks = List.copyOf(disks);
    }
}
