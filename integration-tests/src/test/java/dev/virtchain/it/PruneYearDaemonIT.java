package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PruneYearIT}'s nights through a real libvirtd ({@code qemu:///system}, started by the test
 * as {@link DaemonBackupIT} does), for a quarter: 2026-01-01 to 2026-04-01, 91 nights pruned with
 * keep-daily 7, keep-weekly 4, keep-monthly 12 and judged as {@link PruneYear} says. A quarter,
 * not a year, because a night through the daemon costs what one on the embedded driver does and
 * the year runs there already; the quarter reaches every kind of step (merges of inc runs, diffs
 * merged into the inc above them, checkpoints deleted through the daemon) and the monthly rule's
 * "oldest" keep of the full.
 */
class PruneYearDaemonIT {
    /** Nights simulated. {@code -Dprune.daemon.days=N} runs fewer or more. */
    static final int DAYS = Integer.getInteger("prune.daemon.days", 91);

    @Test
    void aQuarterOfNightlyBackupsPrunedEveryNightThroughLibvirtd(@TempDir Path dir,
            @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        try (LibvirtDaemon daemon = LibvirtDaemon.start(dir.resolve("daemon"))) {
            TestGuest g = daemon.startGuest(dir, "vc-quarter", 1, PruneYear.SIZE);
            PruneYear quarter = new PruneYear(daemon.hypervisor(), g, work);
            PruneYear.Figures f = quarter.run(PruneYear.nightly(DAYS));
            System.out.println("PruneYearDaemonIT: " + f.text() + "\n  time: " + quarter.lapText());
            assertTrue(f.maxFiles() <= PruneYear.fileBound(), f.text());
            assertTrue(f.maxBytes() <= PruneYear.byteBound(), f.text());
            if (DAYS == 91) {
                // Apr 1: 7 dailies (Mar 26 to Apr 1), Sundays Mar 15 and 22 (Mar 29 is a daily), Jan 31,
                // Feb 28, Mar 31 (a daily) and the full of Jan 1, kept as the oldest: 4 months < 12.
                assertEquals(7 + 2 + 2 + 1, f.restorePoints(), f.text());
                assertTrue(f.merges() > 0, f.text());
            }
        }
    }
}
