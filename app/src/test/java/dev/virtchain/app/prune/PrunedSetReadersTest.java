package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * list, restore and verify on a set pruned by {@link PruneRun} under keep-last 2: backups 2 and 3
 * stay, 1 is merged into 2, and the full (0) stays on disk as the base both read.
 */
class PrunedSetReadersTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path root;
    Path bk;

    @BeforeEach
    void prunedSet() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        BackupSetFixture.writeSealed(bk, Checksum.SHA256);
        for (String f : BackupSetFixture.FILES) {
            Qemu.img(bk, "convert", "-U", "-O", "raw", f, root.resolve(f + ".raw").toString());
        }
        Manifest m = ManifestFile.load(bk);
        Map<String, Long> sizes = Prune.sizes(bk, m);
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);
        PrunePlan plan = PrunePlan.of(m, RetentionPolicy.NONE.withKeepLast(2), clock, sizes);
        assertTrue(new PruneRun(bk, (checkpoint, done) -> { }).run(m, plan, clock.instant()).complete());
    }

    @Test
    void listSaysWhichRecordIsABaseAndNoRestorePoint() {
        CliDriver.Result r = CLI.ok("list", bk.toString());
        assertTrue(r.stdout().contains(" base: no restore point, read by 2, 3\n"), r.stdout());
        assertTrue(r.stdout().contains(" 2 <- 0, merged 1\n"), r.stdout());
        JsonNode backups = CLI.ok("list", bk.toString(), "--json").json().get("backups");
        assertEquals(3, backups.size(), backups.toString());
        assertTrue(backups.get(0).get("base").asBoolean(), backups.toString());
        assertTrue(backups.get(1).get("base") == null, backups.toString());
        assertEquals("[1]", backups.get(1).get("merged").toString());
    }

    @Test
    void keptPointsRestoreAsBeforeAndABaseIsRefused() throws Exception {
        for (int seq : new int[] {2, 3}) {
            Path dst = root.resolve("out" + seq);
            CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", dst.toString(), "--at", "" + seq);
            assertEquals(0, r.exitCode(), r.stderr());
            Qemu.assertClean(dst.resolve("vda.qcow2"));
            String cmp = Qemu.img(root, "compare", dst.resolve("vda.qcow2").toString(),
                    root.resolve(BackupSetFixture.FILES.get(seq) + ".raw").toString());
            assertTrue(cmp.contains("Images are identical."), seq + ": " + cmp);
        }
        CliDriver.Result base = CLI.run("restore", bk.toString(), "-o", root.resolve("out0").toString(), "--at", "0");
        assertNotEquals(0, base.exitCode());
        assertTrue(base.stderr().contains("backup 0 was pruned"), base.stderr());
        for (String f : new String[] {"vda.0000.full.qcow2", "vda.0002.inc.qcow2", "vda.0003.diff.qcow2"}) {
            Qemu.assertClean(bk.resolve(f));
        }
    }

    @Test
    void verifyPassesWithTheMergedFilesChecksumsRecordedAnew() {
        CliDriver.Result r = CLI.run("verify", bk.toString());
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
    }
}
