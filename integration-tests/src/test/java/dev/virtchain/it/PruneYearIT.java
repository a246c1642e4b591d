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
 * A year of nightly backups pruned every night with keep-daily 7, keep-weekly 4, keep-monthly 12,
 * on the embedded driver ({@code qemu:///embed}), judged by qemu-img every night: see
 * {@link PruneYear} for what is simulated (the clock: 365 nights of 2026 in about a minute) and
 * what is checked.
 */
class PruneYearIT {
    /** Nights simulated: all of 2026. {@code -Dprune.year.days=N} runs fewer while measuring. */
    static final int DAYS = Integer.getInteger("prune.year.days", 365);

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
    void aYearOfNightlyBackupsPrunedEveryNight(@TempDir Path vm, @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        TestGuest g = env.startGuest(vm, "vc-year", 1, PruneYear.SIZE);
        PruneYear year = new PruneYear(hv, g, work);
        PruneYear.Figures f = year.run(DAYS);
        System.out.println("PruneYearIT (embedded): " + f.text() + "\n  time: " + year.lapText());
        assertTrue(f.maxFiles() <= PruneYear.fileBound(), f.text());
        assertTrue(f.maxBytes() <= PruneYear.byteBound(), f.text());
        if (DAYS == 365) {
            // 7 dailies (Dec 25-31), Sundays Dec 13, 20 (27 is a daily), and the last days of Jan to Nov.
            assertEquals(7 + 2 + 11, f.restorePoints(), f.text());
            assertEquals(1, f.bases(), "the full stays as the base of the diffs' lines: " + f.text());
            assertFalse(f.merges() == 0, f.text());
        }
    }

    /**
     * A prune of a domain that was destroyed and undefined after its backups: the files are pruned
     * (the kept points read as before, the dropped files are gone), the checkpoint deletions are
     * left in the journal and the outcome says why. Then the domain is defined again from its saved
     * XML (same UUID) and started: the next backup's first step, finishing the interrupted prune
     * (InterruptedPrune, as BackupCommand does it), completes it, and the next inc, on checkpoints
     * redefined from checkpoints/, holds exactly the clusters written since the newest backup.
     */
    @Test
    void pruneOfAnUndefinedDomainLeavesItsCheckpointsForLater(@TempDir Path vm,
            @TempDir(factory = PruneYear.InMemory.class) Path work) throws Exception {
        TestGuest g = env.startGuest(vm, "vc-gone", 1, PruneYear.SIZE);
        PruneYear y = new PruneYear(hv, g, work);
        List<Level> levels = List.of(Level.FULL, Level.INC, Level.INC, Level.INC);
        for (int day = 0; day < levels.size(); day++) {
            y.backupNight(day, levels.get(day), "backup " + day);
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

        y.backupNight(4, Level.INC, "the inc after the domain came back");
        assertEquals(2, y.warnings.size(), y.warnings.toString());
        for (int seq = 2; seq <= 3; seq++) {
            assertTrue(y.warnings.get(seq - 2).startsWith("libvirt had lost checkpoint " + Naming.checkpointName(set, seq)
                    + "; redefined it"), y.warnings.toString());
        }
        y.judgeDirectory("after the inc", Set.of(2, 3, 4), true);
        // Not asserted, reported: the bitmaps of checkpoints 0 and 1, deleted while libvirt did not know
        // them, stay in the guest's disk (qemu stores the new inc's own bitmap when it closes the disk).
        System.out.println("PruneYearIT (undefined domain): bitmaps stored in the guest's disk after the inc: "
                + Qemu.img(vm, "info", "-U", g.disk("vda").toString()).lines()
                        .filter(l -> l.contains("name:")).map(l -> l.strip().substring(6)).toList());
    }
}
