package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.TestDriverDomain;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup --keep-*}: the backup, then the prune, in one run. The domain is libvirt's test
 * driver's, defined from a node file, shut off, its disk a real qcow2 image, so {@code -l copy}
 * runs the real offline copy; the backup directory is the fixture's set ({@code full <- inc <-
 * inc}, a diff on the full) of the same domain.
 */
class BackupKeepTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path root;
    Path bk;
    String uri;

    @BeforeEach
    void set() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        BackupSetFixture.write(bk, Checksum.SHA256);
        for (String f : BackupSetFixture.FILES) {
            Files.setPosixFilePermissions(bk.resolve(f), PosixFilePermissions.fromString("r--------"));
        }
        Qemu.img(root, "create", "-q", "-f", "qcow2", "web01.qcow2", "8M");
        Qemu.io(root, "-c", "write -P 0x42 0 2M", "web01.qcow2");
        Path node = root.resolve("node.xml");
        uri = TestDriverDomain.web01(node, root.resolve("web01.qcow2"));
    }

    private Map<String, byte[]> contents() throws Exception {
        Map<String, byte[]> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String n = f.getFileName().toString();
                // Every run, failed ones too, records how it ended (last-run.json, for status): not backup data.
                if (!n.equals(Naming.LOCK) && !n.equals(Naming.READERS_LOCK) && !n.equals(Naming.LAST_RUN)) {
                    all.put(n, Files.readAllBytes(f));
                }
            }
        }
        return all;
    }

    private List<Integer> seqs() throws Exception {
        return ManifestFile.load(bk).backups().stream().map(Backup::seq).toList();
    }

    private void assertSameImage(Path a, Path b) {
        String cmp = Qemu.img(root, "compare", a.toString(), b.toString());
        assertTrue(cmp.contains("Images are identical."), a + " vs " + b + ": " + cmp);
    }

    @Test
    void aBackupWithKeepRulesPrunesInTheSameRunAndSaysSoInOneLine() throws Exception {
        CLI.ok("restore", bk.toString(), "-o", root.resolve("before3").toString(), "--at", "3");
        CliDriver.Result r = CLI.ok("backup", "-c", uri, "-d", "web01", "-o", bk.toString(), "-l", "copy",
                "--keep-last", "2");
        assertTrue(r.stdout().startsWith("backup 4 (copy) of web01 in " + bk), r.toString());
        List<String> pruned = r.stdout().lines().filter(l -> l.startsWith("pruned ")).toList();
        assertEquals(List.of("pruned " + bk + " (keep 2 last backups): 2 backups kept; 3 dropped: 1 merged into the "
                + "backup that read it, 0 kept as a base, 2 deleted"), pruned, r.toString());
        assertEquals(List.of(3, 4), seqs());
        assertEquals(null, ManifestFile.load(bk).journal(), "the prune finished, checkpoints too");
        CLI.ok("verify", bk.toString());
        CLI.ok("restore", bk.toString(), "-o", root.resolve("after3").toString(), "--at", "3");
        assertSameImage(root.resolve("before3/vda.qcow2"), root.resolve("after3/vda.qcow2"));
        CLI.ok("restore", bk.toString(), "-o", root.resolve("after4").toString(), "--at", "4");
        assertSameImage(root.resolve("web01.qcow2"), root.resolve("after4/vda.qcow2"));
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".qcow2")).toList()) {
                Qemu.assertClean(f);
                assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    @Test
    void jsonCarriesThePruneInTheBackupsObject() throws Exception {
        JsonNode j = CLI.ok("backup", "-c", uri, "-d", "web01", "-o", bk.toString(), "-l", "copy",
                "--keep-last", "2", "--json").json();
        assertEquals(4, j.get("seq").asInt(), j.toString());
        JsonNode p = j.get("prune");
        assertEquals("keep 2 last backups", p.get("policy").asText(), j.toString());
        assertEquals(5, p.get("points").size(), j.toString());
        assertEquals("merge", p.get("points").get(0).get("fate").asText(), j.toString());
        assertEquals(0, p.get("checkpoints-left").size(), j.toString());
        assertEquals(List.of(3, 4), seqs());
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".qcow2")).toList()) {
                Qemu.assertClean(f);
            }
        }
    }

    @Test
    void aFailedBackupNeverPrunes() throws Exception {
        Map<String, byte[]> before = contents();
        CliDriver.Result r = CLI.run("backup", "-c", uri, "-d", "nosuch", "-o", bk.toString(), "-l", "copy",
                "--keep-last", "1");
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().lines().count(), r.toString());
        assertTrue(r.stderr().startsWith("virtchain: ") && r.stderr().contains("nosuch"), r.toString());
        assertFalse(r.stdout().contains("pruned"), r.toString());
        Map<String, byte[]> after = contents();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((f, bytes) -> assertArrayEquals(bytes, after.get(f), f + " changed"));
    }

    @Test
    void aBackupWhosePruneFailsIsMadeAndOneLineSaysThePruneFailedAndWhy() throws Exception {
        Map<String, byte[]> before = contents();
        try (ReadersLock reader = ReadersLock.shared(bk)) {
            CliDriver.Result r = CLI.run("backup", "-c", uri, "-d", "web01", "-o", bk.toString(), "-l", "copy",
                    "--keep-last", "1");
            assertEquals(1, r.exitCode(), r.toString());
            assertTrue(r.stdout().startsWith("backup 4 (copy) of web01"), r.toString());
            assertEquals(List.of("virtchain: backup 4 of web01 is made in " + bk + ", but the prune failed: cannot prune: "
                    + "pid " + ProcessHandle.current().pid() + " reads " + bk + "; wait for it to end, or use --wait"),
                    r.stderr().lines().toList(), r.toString());
        }
        assertEquals(List.of(0, 1, 2, 3, 4), seqs(), "the backup is recorded, nothing pruned");
        Map<String, byte[]> after = contents();
        before.remove(Naming.MANIFEST); // it records the backup
        before.forEach((f, bytes) -> assertArrayEquals(bytes, after.get(f), f + " changed"));
        CLI.ok("verify", bk.toString());
    }

    @Test
    void withWaitTheBackupIsMadeAndItsPruneWaitsForTheReader() throws Exception {
        CliProcess p;
        try (ReadersLock reader = ReadersLock.shared(bk)) {
            p = CLI.start(root.resolve("logs"), "backup", "backup", "-c", uri, "-d", "web01", "-o", bk.toString(),
                    "-l", "copy", "--keep-last", "2", "--wait");
            assertTrue(p.awaitErr("virtchain: waiting to prune: pid " + ProcessHandle.current().pid() + " reads " + bk,
                    60), p.text());
            assertEquals(List.of(0, 1, 2, 3, 4), seqs(), "the backup is made; the prune waits");
        }
        p.assertOk();
        assertTrue(p.out().contains("pruned " + bk + " (keep 2 last backups): 2 backups kept"), p.text());
        assertEquals(List.of(3, 4), seqs());
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".qcow2")).toList()) {
                Qemu.assertClean(f);
            }
        }
    }

    @Test
    void aBadKeepRuleIsAUsageErrorBeforeAnyBackup() throws Exception {
        Map<String, byte[]> before = contents();
        CliDriver.Result r = CLI.run("backup", "-c", uri, "-d", "web01", "-o", bk.toString(), "-l", "copy",
                "--keep-last", "-1");
        assertEquals(2, r.exitCode(), r.toString());
        assertEquals(before.keySet(), contents().keySet());
    }

    @Test
    void helpShowsTheKeepRulesAndTheNightlyExample() {
        String help = CLI.ok("backup", "--help").stdout();
        for (String option : List.of("--keep-last", "--keep-hourly", "--keep-daily", "--keep-weekly", "--keep-monthly",
                "--keep-yearly", "--keep-within", "--wait")) {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
        assertTrue(help.contains("virtchain backup -d web01 -o /backup/web01 \\\n"
                + "      --keep-daily 7 --keep-weekly 4 --keep-monthly 12"), help);
        assertTrue(help.replaceAll("\\s+", " ").contains(RetentionPolicy.HOW_RULES_COUNT.substring(0, 60)), help);
    }
}
