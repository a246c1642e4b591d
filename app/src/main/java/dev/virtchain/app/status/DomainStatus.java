package dev.virtchain.app.status;

import dev.virtchain.app.state.RunRecord;
import dev.virtchain.chain.Backup;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * What {@code status} knows about one backup directory.
 *
 * @param dir           the backup directory
 * @param domain        the domain it backs up (the manifest's name, else the last run's, else the directory's)
 * @param newest        the newest backup, any level; null when there is none
 * @param restorePoints how many points in time it can restore
 * @param chainLength   how many files a restore of the current chain's newest point reads per disk (0: no chain)
 * @param bytes         bytes the directory takes on disk (allocated, all its files)
 * @param lastRun       how the last backup run ended; null when none recorded it
 * @param checkpoints   libvirt's checkpoints against the manifest
 * @param nextIncBytes  libvirt's count of the bytes the next inc would copy; null when not known
 * @param error         why the directory could not be read (its manifest or run record), else null
 */
record DomainStatus(Path dir, String domain, Backup newest, int restorePoints, int chainLength, long bytes,
        RunRecord lastRun, CheckpointHealth checkpoints, Long nextIncBytes, String error) {

    /** How old the newest backup is at {@code now}; null when there is none. */
    Duration age(Instant now) {
        return newest == null ? null : Duration.between(newest.time(), now);
    }

    /** Whether the newest backup is older than {@code maxAge} at {@code now} (none at all is too old). */
    boolean tooOld(Instant now, Duration maxAge) {
        return maxAge != null && (newest == null || age(now).compareTo(maxAge) > 0);
    }
}
