package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.app.prune.PruneRun;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A year of backups pruned after every one with keep-daily 7, keep-weekly 4, keep-monthly 12, on
 * the embedded driver ({@code qemu:///embed}), judged by qemu-img after every backup and prune: see
 * {@link PruneYear} for how the clock is simulated and what is checked.
 *
 * <p>What is simulated, and why: all of 2026, 105 backups ({@link PruneYear#sundaysThenNightly}):
 * the full on January 1, then until October one backup a week (Sunday nights: a diff on a month's
 * first Sunday, an inc on the others), then from November 1 every night (a diff on Sundays, an inc
 * otherwise). A year, because only in its twelfth month does keep-monthly 12 stop keeping the
 * full as the oldest backup: the full, which the diffs' lines read, then becomes a base, and the
 * directory reaches the steady state of the policy. Weekly until November, because a backup with
 * its prune and judgement costs 0.45 to 0.9 s on this 2-core machine with other builds beside it
 * (a load average near 10; most of it libvirt's backup-begin), so 365 nightly backups took 4 to 6
 * minutes, and 105 take a third of that; the two nightly months
 * still give every rule its full count of nightly backups (daily 7, weekly 4) and two months of
 * nightly merges, and the weekly months give the daily rule days without backups to skip.
 * {@code -Dprune.year=nightly} runs all 365 nights instead (about 4 to 6 minutes here).
 */
class PruneYearIT {
    /** {@code -Dprune.year=nightly}: every night of the year, not Sundays until November. */
    static final boolean NIGHTLY = "nightly".equals(System.getProperty("prune.year"));

    @TempDir
    static Path shared;
    static EmbeddedLibvirt env;
    static Hypervisor hv;

    @BeforeAll
    static void connect() throws Exception {
        env = EmbeddedLibvirt.start(shared.resolve("libvirt"));
        hv = env.hypervisor();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (env != null) {
            env.close();
        }
    }

    @Test
    void aYearOfBackupsPrunedAfterEachOne(@TempDir Path vm,
            @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        TestGuest g = env.startGuest(vm, "vc-year", 1, PruneYear.SIZE);
        PruneYear year = new PruneYear(hv, g, work);
        List<PruneYear.Night> nights = NIGHTLY ? PruneYear.nightly(365) : PruneYear.sundaysThenNightly();
        PruneYear.Figures f = year.run(nights);
        System.out.println("PruneYearIT (embedded): " + f.text() + "\n  time: " + year.lapText());
        assertTrue(f.maxFiles() <= PruneYear.fileBound(), f.text());
        assertTrue(f.maxBytes() <= PruneYear.byteBound(), f.text());
        assertEquals(NIGHTLY ? 365 : 105, nights.size());
        // On December 31: 7 dailies (Dec 25 to 31), Sundays Dec 13 and 20 (Dec 27 is a daily), and
        // the newest backups of January to November; the full stays as the base of the diffs' lines.
        assertEquals(7 + 2 + 11, f.restorePoints(), f.text());
        assertEquals(1, f.bases(), f.text());
        assertTrue(f.merges() > 0, f.text());
    }

    /**
     * A prune of a domain that was destroyed and undefined after its backups: the files are pruned
     * (the kept points read as before, the dropped files are gone), the checkpoint deletions are
     * left in the journal and the outcome says why. Then the domain is defined again from its saved
     * XML (same UUID) and started: the next backup's first step, finishing the interrupted prune
     * (InterruptedPrune, as BackupCommand does it), completes it, and the next inc, on checkpoints
     * redefined from checkpoints/, holds exactly the clusters written since the newest backup, and
     * the diff after it exactly those written since the chain's base.
     */
    @Test
    void pruneOfAnUndefinedDomainLeavesItsCheckpointsForLater(@TempDir Path vm,
            @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        TestGuest g = env.startGuest(vm, "vc-gone", 1, PruneYear.SIZE);
        PruneYear y = new PruneYear(hv, g, work);
        List<Level> levels = List.of(Level.FULL, Level.INC, Level.INC, Level.INC);
        for (int day = 0; day < levels.size(); day++) {
            y.backupNight(day, day, levels.get(day), "backup " + day);
        }
        Manifest before = ManifestFile.load(y.dir());
        String set = before.setId();
        String xml = hv.domainXml(g.name());
        hv.destroy(g.name());
        hv.undefine(g.name());

        PruneRun.Outcome o = y.prune(3, RetentionPolicy.NONE.withKeepLast(2));
        assertFalse(o.complete(), o.toString());
        assertEquals(List.of(Naming.checkpointName(set, 0), Naming.checkpointName(set, 1)), o.checkpointsLeft());
        assertTrue(o.whyLeft().contains("domain vc-gone is not defined"), o.whyLeft());
        Manifest m = ManifestFile.load(y.dir());
        assertFalse(m.journal().filesPending(), "only checkpoint steps are left: " + m.journal());
        y.judgeDirectory("after the prune without the domain", Set.of(2, 3), false);
        assertEquals(Set.of(Naming.checkpointName(set, 0), Naming.checkpointName(set, 1),
                Naming.checkpointName(set, 2), Naming.checkpointName(set, 3)), y.savedCheckpoints(),
                "the XML of the checkpoints left to delete stays until they are deleted");

        hv.define(xml);
        hv.start(g.name(), true);
        StringWriter err = new StringWriter();
        try (DirectoryLock lock = DirectoryLock.acquire(y.dir())) {
            InterruptedPrune.finishLocked(y.dir(), hv, new PrintWriter(err, true));
        }
        assertTrue(err.toString().contains("finishing an interrupted prune of " + y.dir()), err.toString());
        assertEquals(null, ManifestFile.load(y.dir()).journal());
        assertEquals(Set.of(Naming.checkpointName(set, 2), Naming.checkpointName(set, 3)), y.savedCheckpoints());

        y.backupNight(4, 4, Level.INC, "the inc after the domain came back");
        assertEquals(2, y.warnings.size(), y.warnings.toString());
        for (int seq = 2; seq <= 3; seq++) {
            assertTrue(y.warnings.get(seq - 2).startsWith("libvirt had lost checkpoint " + Naming.checkpointName(set, seq)
                    + "; redefined it"), y.warnings.toString());
        }
        y.judgeDirectory("after the inc", Set.of(2, 3, 4), true);
        // A diff against the chain's base (backup 2, which the prune made the full): libvirt merges
        // the bitmaps of its checkpoint and of every descendant, so this holds exactly the clusters
        // written since backup 2 only if the redefined checkpoints have the right parents.
        y.backupNight(5, 5, Level.DIFF, "the diff after the domain came back");
        assertEquals(List.of(), y.warnings);
        y.judgeDirectory("after the diff", Set.of(2, 3, 4, 5), true);
        // The checkpoints deleted while libvirt did not know them were redefined from their saved XML
        // and deleted through libvirt, so their bitmaps left the guest's disk too (qemu removes a
        // persistent bitmap from the image at once; it stores the new ones when it closes the disk).
        List<String> bitmaps = Qemu.img(vm, "info", "-U", g.disk("vda").toString()).lines()
                .filter(l -> l.contains("name:")).map(l -> l.strip().substring(6)).toList();
        assertFalse(bitmaps.contains(Naming.checkpointName(set, 0)) || bitmaps.contains(Naming.checkpointName(set, 1)),
                "no bitmap of a deleted checkpoint stays in the guest's disk: " + bitmaps);
    }
}
