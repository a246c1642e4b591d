package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import java.util.List;

/**
 * What a prune does with one backup, with the why.
 *
 * @param backup     the backup's record before the prune
 * @param listed     whether it was a restore point before the prune (false for a base left by an
 *                   earlier prune)
 * @param fate       what happens to it
 * @param reasons    for {@link PointFate#KEEP}: the rules that keep it, as restic prints them;
 *                   empty otherwise
 * @param dependents for {@link PointFate#MERGE}: the one backup its files are merged into; for
 *                   {@link PointFate#BASE}: the backups that read its files once the prune is done;
 *                   empty otherwise
 */
public record PointDecision(Backup backup, boolean listed, PointFate fate, List<KeepReason> reasons,
        List<Integer> dependents) {
    public PointDecision {
        reasons = List.copyOf(reasons);
        dependents = List.copyOf(dependents);
        if ((fate == PointFate.KEEP) == reasons.isEmpty()) {
            throw new IllegalArgumentException("a kept backup has reasons, a dropped one none");
        }
    }

    public int seq() {
        return backup.seq();
    }
}
