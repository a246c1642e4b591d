package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prune never writes into files a running restore, verify or boot reads (docs/DESIGN.md,
 * "Readers and prune"). Readers are stood in for by the readers lock held in this JVM (the
 * lock restore, verify and boot take, as the first tests show from the other side); a running boot
 * by a boot record in {@code DIR/.boots} naming a domain that runs: libvirt's test driver always
 * runs its domain {@code test}.
 */
class PruneReadersTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    private static final String TEST_URI = "test:///default";
    private static final long PID = ProcessHandle.current().pid();

    @TempDir
    Path root;
    Path bk;
    Path scratch;

    @BeforeEach
    void set() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        scratch = Files.createDirectory(root.resolve("scratch"));
        BackupSetFixture.writeSealed(bk, Checksum.SHA256);
    }

    private void assertUnchanged(Map<String, byte[]> before) throws Exception {
        Map<String, byte[]> after = BackupSetFixture.contents(bk);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((f, bytes) -> assertArrayEquals(bytes, after.get(f), f + " changed"));
    }

    /** The restore points: under keep-last 2, the full stays as the base of 2 and 3, no longer one. */
    private List<Integer> seqs() throws Exception {
        var m = ManifestFile.load(bk);
        return m.backups().stream().map(Backup::seq).filter(s -> !m.bases().contains(s)).toList();
    }

    /** Records a boot of {@code bk} as {@code boot} does: {@code .boots/NAME.json}, and its state in the scratch directory. */
    private void recordBoot(String name) throws Exception {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("uri", TEST_URI);
        s.put("dir", bk.toAbsolutePath().toString());
        s.put("seq", 3);
        s.put("scratch", scratch.resolve(name).toString());
        s.put("overlays", Map.of("vda", scratch.resolve(name).resolve("vda.overlay.qcow2").toString()));
        s.put("pty", false);
        s.put("consoleFiles", List.of());
        s.put("guestAgent", false);
        String json = new ObjectMapper().writeValueAsString(s);
        Files.writeString(Files.createDirectories(scratch.resolve(name)).resolve("boot.json"), json);
        Files.writeString(Files.createDirectories(bk.resolve(Naming.BOOTS_DIR)).resolve(name + ".json"), json);
    }

    @Test
    void pruneFailsAtOnceBesideAReaderNamingItAndChangesNothing() throws Exception {
        Map<String, byte[]> before = BackupSetFixture.contents(bk);
        try (ReadersLock reader = ReadersLock.shared(bk)) {
            CliDriver.Result r = CLI.run("prune", bk.toString(), "--keep-last", "2", "-c", TEST_URI);
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(List.of("virtchain: cannot prune: pid " + PID + " reads " + bk
                    + "; wait for it to end, or use --wait"), r.stderr().lines().toList(), r.toString());
        }
        assertUnchanged(before);
    }

    @Test
    void restoreVerifyAndBootFailAtOnceWhileAPruneHoldsTheReadersLock() throws Exception {
        Optional<ReadersLock> prune = ReadersLock.tryExclusive(bk);
        assertTrue(prune.isPresent());
        try (ReadersLock held = prune.get()) {
            for (String[] args : List.of(
                    new String[] {"restore", bk.toString(), "-o", root.resolve("out").toString()},
                    new String[] {"verify", bk.toString()},
                    new String[] {"boot", bk.toString(), "-c", TEST_URI, "--scratch", scratch.toString()})) {
                CliDriver.Result r = CLI.run(args);
                assertEquals(1, r.exitCode(), r.toString());
                assertEquals(List.of("virtchain: backup directory " + bk + " is being pruned by pid " + PID + ": "
                        + bk.resolve(Naming.READERS_LOCK) + " is locked; wait for the prune to finish and run this "
                        + "again"), r.stderr().lines().toList(), r.toString());
            }
        }
        assertFalse(Files.exists(root.resolve("out").resolve("vda.qcow2")));
        CLI.ok("verify", bk.toString());
    }

    @Test
    void pruneWithWaitSaysItWaitsAndPrunesOnceTheReaderEnds() throws Exception {
        CliProcess p;
        try (ReadersLock reader = ReadersLock.shared(bk)) {
            p = CLI.start(root.resolve("logs"), "prune", "prune", bk.toString(), "--keep-last", "2", "-c", TEST_URI,
                    "--wait");
            assertTrue(p.awaitErr("virtchain: waiting to prune: pid " + PID + " reads " + bk, 60), p.text());
            Thread.sleep(500);
            assertTrue(p.alive(), "it waits while the reader reads: " + p.text());
            assertEquals(List.of(0, 1, 2, 3), seqs());
        }
        p.assertOk();
        assertEquals(1, p.errLines().stream().filter(l -> l.contains("waiting")).count(), p.text());
        assertEquals(List.of(2, 3), seqs());
        CLI.ok("verify", bk.toString());
    }

    @Test
    void pruneFailsAtOnceBesideARunningBootNamingItAndHowToStopIt() throws Exception {
        recordBoot("test");
        Map<String, byte[]> before = BackupSetFixture.contents(bk);
        CliDriver.Result r = CLI.run("prune", bk.toString(), "--keep-last", "2", "-c", TEST_URI);
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals(List.of("virtchain: cannot prune: boot test of " + bk + " is running on " + TEST_URI
                + "; stop it with 'virtchain boot --stop test --scratch " + scratch + "' or use --wait"),
                r.stderr().lines().toList(), r.toString());
        assertUnchanged(before);
        assertTrue(Files.exists(bk.resolve(Naming.BOOTS_DIR).resolve("test.json")));
    }

    @Test
    void aBootThatRunsNoMoreIsForgottenAndThePruneRuns() throws Exception {
        recordBoot("web01-boot-3"); // no such domain on the test driver: it ended
        CliDriver.Result r = CLI.ok("prune", bk.toString(), "--keep-last", "2", "-c", TEST_URI);
        assertEquals(List.of(2, 3), seqs(), r.toString());
        assertFalse(Files.exists(bk.resolve(Naming.BOOTS_DIR).resolve("web01-boot-3.json")));
    }

    @Test
    void pruneWithWaitPrunesOnceTheBootIsStopped() throws Exception {
        recordBoot("test");
        CliProcess p = CLI.start(root.resolve("logs"), "prune", "prune", bk.toString(), "--keep-last", "2", "-c",
                TEST_URI, "--wait");
        assertTrue(p.awaitErr("virtchain: waiting to prune: boot test of " + bk + " is running on " + TEST_URI, 60),
                p.text());
        Thread.sleep(500);
        assertTrue(p.alive(), "it waits while the boot runs: " + p.text());
        assertEquals(List.of(0, 1, 2, 3), seqs());
        // boot --stop, in a process of its own (its test driver's domain "test" is destroyed there):
        // the scratch directory and the record in the backup directory go.
        CliDriver.Result stop = CLI.in(root).ok("boot", "--stop", "test", "--scratch", scratch.toString());
        assertTrue(stop.stdout().contains("destroyed test"), stop.toString());
        assertFalse(Files.exists(bk.resolve(Naming.BOOTS_DIR).resolve("test.json")));
        p.assertOk();
        assertEquals(List.of(2, 3), seqs());
        CLI.ok("verify", bk.toString());
        try (Stream<Path> files = Files.list(bk)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".qcow2")).toList()) {
                Qemu.assertClean(f);
            }
        }
    }
}
