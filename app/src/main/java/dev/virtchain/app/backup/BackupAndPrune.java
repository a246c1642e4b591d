package dev.virtchain.app.backup;

import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.app.prune.Prune;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;

/**
 * One domain's backup and, when it succeeded and keep rules are given, the prune of its directory,
 * for a caller that holds the directory's lock ({@link BackupRun#lock}): the path of
 * {@code backup -d} and of every domain of {@code backup --all}.
 *
 * @param report      the backup made
 * @param policy      the keep rules; null for no prune
 * @param pruned      what the prune did; null when there were no rules or it failed
 * @param pruneFailed why the prune failed, one line; null when it did not
 */
record BackupAndPrune(BackupReport report, RetentionPolicy policy, Prune.Result pruned, String pruneFailed) {

    static BackupAndPrune run(Hypervisor hv, BackupOptions o, RetentionPolicy policy, boolean await, PrintWriter err,
            boolean terminal) throws IOException, ChainException, InterruptedException {
        InterruptedPrune.finishBesideReaders(o.dir(), hv, err);
        BackupReport r = new BackupRun(hv, Clock.systemUTC(), err, terminal).runLocked(o);
        if (policy == null) {
            return new BackupAndPrune(r, null, null, null);
        }
        // Same run, same lock: no other run comes in between the backup and its prune.
        try {
            return new BackupAndPrune(r, policy, Prune.run(o.dir(), hv, policy, Clock.systemDefaultZone(), await, err), null);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new BackupAndPrune(r, policy, null, ExitCodes.describe(e));
        }
    }
}
