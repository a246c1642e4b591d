package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain prune} on the fixture's set ({@code full <- inc <- inc}, a diff on the full).
 * Under keep-last 2, backups 2 and 3 stay, inc 1 is merged into inc 2 and the full stays as
 * the base both read. No libvirt knows the fixture's domain, so the checkpoint deletions are left.
 */
class PruneCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    /** A libvirt that never has the fixture's domain. */
    private static final String NO_DOMAIN = "test:///default";

    @TempDir
    Path root;
    Path bk;

    @BeforeEach
    void set() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        BackupSetFixture.writeSealed(bk, Checksum.SHA256);
    }

    @Test
    void aDryRunPrintsThePlanAndChangesNothing() throws Exception {
        Map<String, byte[]> before = BackupSetFixture.contents(bk);
        CliDriver.Result r = CLI.ok("prune", bk.toString(), "--keep-last", "2", "--dry-run");
        Map<String, byte[]> after = BackupSetFixture.contents(bk);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((f, bytes) -> assertArrayEquals(bytes, after.get(f), f + " changed"));
        String out = r.stdout();
        assertTrue(out.contains("plan to prune"), out);
        assertTrue(out.contains("stays as base of 2, 3"), out);
        assertTrue(out.contains("drop: merge into 2"), out);
        assertTrue(out.contains("keep (last"), out);
        assertTrue(out.contains("commit vda.0002.inc.qcow2 into vda.0001.inc.qcow2"), out);
        assertTrue(out.contains("estimates:"), out);
    }

    @Test
    void aPruneKeepsEveryKeptPointRestoringAsBefore() throws Exception {
        for (int seq : new int[] {2, 3}) {
            CLI.ok("restore", bk.toString(), "-o", root.resolve("before" + seq).toString(), "--at", "" + seq);
        }
        CliDriver.Result r = CLI.run("prune", bk.toString(), "--keep-last", "2", "-c", NO_DOMAIN);
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("pruned " + bk), r.stdout());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), r.stderr());
        assertTrue(lines.get(0).contains("files pruned; the deletion of") && lines.get(0).contains("left for the next backup"),
                r.stderr());
        for (int seq : new int[] {2, 3}) {
            Path after = root.resolve("after" + seq);
            CLI.ok("restore", bk.toString(), "-o", after.toString(), "--at", "" + seq);
            Qemu.assertClean(after.resolve("vda.qcow2"));
            String cmp = Qemu.img(root, "compare", root.resolve("before" + seq).resolve("vda.qcow2").toString(),
                    after.resolve("vda.qcow2").toString());
            assertTrue(cmp.contains("Images are identical."), seq + ": " + cmp);
        }
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".qcow2")).toList()) {
                Qemu.assertClean(f);
                assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
        assertTrue(!Files.exists(bk.resolve(BackupSetFixture.FILES.get(1))), "inc 1 was merged away");
        CLI.ok("verify", bk.toString());
        // The checkpoint deletions the journal keeps are carried into the next prune, which runs.
        CliDriver.Result again = CLI.run("prune", bk.toString(), "--keep-last", "2", "-c", NO_DOMAIN);
        assertEquals(0, again.exitCode(), again.toString());
    }

    @Test
    void jsonParsesAndNamesEveryPointsFate() {
        JsonNode j = CLI.ok("prune", bk.toString(), "--keep-last", "2", "--dry-run", "--json").json();
        assertEquals(4, j.get("points").size(), j.toString());
        assertEquals("stays as base", j.get("points").get(0).get("fate").asText());
        assertEquals("merge", j.get("points").get(1).get("fate").asText());
        assertEquals("keep", j.get("points").get(3).get("fate").asText());
        assertTrue(j.get("steps").size() > 0, j.toString());
        assertTrue(j.get("estimates").get("bytes-to-copy").asLong() > 0, j.toString());
    }

    @Test
    void noKeepRuleIsAUsageError() throws Exception {
        Map<String, byte[]> before = BackupSetFixture.contents(bk);
        CliDriver.Result r = CLI.run("prune", bk.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("at least one keep rule"), r.stderr());
        assertEquals(before.keySet(), BackupSetFixture.contents(bk).keySet());
    }

    @Test
    void aDirectoryThatIsMissingOrNoBackupSetIsNamedInOneLine() throws Exception {
        Path missing = root.resolve("missing");
        for (String[] args : new String[][] {{"prune", missing.toString(), "--keep-last", "1"},
                {"prune", missing.toString(), "--keep-last", "1", "--dry-run"}}) {
            CliDriver.Result r = CLI.run(args);
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals("virtchain: " + missing + ": no such directory; is " + missing
                    + " a virtchain backup directory?\n", r.stderr());
        }
        Path empty = Files.createDirectory(root.resolve("empty"));
        CliDriver.Result r = CLI.run("prune", empty.toString(), "--keep-last", "1");
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals("virtchain: " + empty.resolve("virtchain.json") + ": does not exist; is " + empty
                + " a virtchain backup directory?\n", r.stderr());
    }

    @Test
    void helpSaysHowTheRulesCount() {
        String help = CLI.ok("prune", "--help").stdout().replaceAll("\\s+", " ");
        assertTrue(help.contains(RetentionPolicy.HOW_RULES_COUNT.substring(0, 60)), help);
        assertTrue(help.contains("Examples:"), help);
    }
}
