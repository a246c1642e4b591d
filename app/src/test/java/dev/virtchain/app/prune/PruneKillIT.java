package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.app.testing.TestDriverNode;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain prune} (the packaged jar, a real process) SIGKILLed at every moment of every
 * step of a realistic plan, and at measured instants from outside: every kept point reads as before
 * at the kill (qemu-img compare against its content captured before the prune), no image is
 * corrupt, and the next command (list, verify, restore, prune or backup, in turn) finishes the
 * prune first and says so in one line; afterwards verify passes, every image is clean and 0400,
 * and the set is what an uninterrupted prune leaves.
 *
 * <p>The set, one disk of 16 MiB, three days of backups (UTC): day 1 a full (0) and a copy (1), day
 * 2 two incs (2 on 0, 3 on 2), day 3 a diff (4 on 0) and two incs (5 on 4, 6 on 5). {@code
 * --keep-daily 2} keeps 3 and 6: the copy is deleted, 2 is merged into 3, 4 and 5 into 6 (a commit
 * through a layer), and the full stays as the base of both. The domain is libvirt's test driver's,
 * defined from a node file, so the checkpoint steps run too (the test driver never had these
 * checkpoints: each step finds it gone and deletes the saved XML).
 *
 * <p>The kills at exact moments come from the test-only seam {@code VIRTCHAIN_TEST_PRUNE_KILL=STEP:MOMENT}
 * ({@code PruneRun.KILL_ENV}), with which the process SIGKILLs itself there.
 */
class PruneKillIT {
    private static final String[] POLICY = {"--keep-daily", "2"};
    private static final List<Integer> KEPT = List.of(3, 6);
    private static final String[] NEXT = {"list", "verify", "restore", "prune", "backup"};

    @TempDir
    Path root;
    Path pristine;
    Path before;
    Path whole;
    String uri;

    private static String file(int seq, Level level) {
        return "vda." + String.format("%04d", seq) + "." + level.word() + ".qcow2";
    }

    @BeforeEach
    void set() throws Exception {
        pristine = Files.createDirectory(root.resolve("pristine"));
        before = Files.createDirectory(root.resolve("before"));
        String setId = Naming.newSetId();
        Manifest m = Manifest.empty(setId, new Domain("web01",
                UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")));
        m = m.with(layer(setId, 0, Level.FULL, null, "2026-11-20T08:00:00Z", "write -P 0x10 0 8M"));
        Qemu.img(pristine, "convert", "-O", "qcow2", file(0, Level.FULL), file(1, Level.COPY));
        m = m.with(record(setId, 1, Level.COPY, null, "2026-11-20T12:00:00Z"));
        m = m.with(layer(setId, 2, Level.INC, 0, "2026-11-21T08:00:00Z", "write -P 0x22 1M 1M", "write -z 5M 256k"));
        m = m.with(layer(setId, 3, Level.INC, 2, "2026-11-21T23:00:00Z", "write -P 0x33 1536k 512k", "write -z 7M 128k"));
        m = m.with(layer(setId, 4, Level.DIFF, 0, "2026-11-22T08:00:00Z", "write -P 0x44 2M 1536k"));
        m = m.with(layer(setId, 5, Level.INC, 4, "2026-11-22T12:00:00Z", "write -P 0x55 10M 1M"));
        m = m.with(layer(setId, 6, Level.INC, 5, "2026-11-22T23:00:00Z", "write -P 0x66 2560k 512k", "write -z 0 256k"));
        ManifestFile.write(pristine, m);
        Files.createDirectories(pristine.resolve(Naming.CHECKPOINTS_DIR));
        for (Backup b : m.backups()) {
            Files.writeString(pristine.resolve(Naming.domainXml(b.seq())), BackupSetFixture.DOMAIN_XML);
            if (b.checkpoint() != null) {
                Files.writeString(pristine.resolve(Naming.checkpointXml(b.checkpoint())),
                        "<domaincheckpoint><name>" + b.checkpoint() + "</name></domaincheckpoint>\n");
            }
            String f = b.disks().get(0).file();
            Files.setPosixFilePermissions(pristine.resolve(f), PosixFilePermissions.fromString("r--------"));
            Qemu.img(pristine, "convert", "-U", "-O", "raw", f, before.resolve(b.seq() + ".raw").toString());
        }
        Qemu.img(root, "create", "-q", "-f", "qcow2", "web01.qcow2", "16M");
        Qemu.io(root, "-c", "write -P 0x77 0 1M", "web01.qcow2");
        uri = TestDriverNode.write(root, "web01", TestDriverNode.WEB01_UUID, root.resolve("web01.qcow2"), false);
    }

    private Backup layer(String setId, int seq, Level level, Integer parent, String time, String... writes)
            throws IOException {
        String f = file(seq, level);
        if (parent == null) {
            Qemu.img(pristine, "create", "-q", "-f", "qcow2", f, "16M");
        } else {
            String backing = parentFile(parent);
            Qemu.img(pristine, "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", f);
        }
        List<String> args = new ArrayList<>();
        for (String w : writes) {
            args.add("-c");
            args.add(w);
        }
        args.add(f);
        Qemu.io(pristine, args.toArray(String[]::new));
        return record(setId, seq, level, parent, time);
    }

    private String parentFile(int seq) throws IOException {
        try (Stream<Path> files = Files.list(pristine)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("vda." + String.format("%04d", seq) + ".")).findFirst().orElseThrow();
        }
    }

    private Backup record(String setId, int seq, Level level, Integer parent, String time) throws IOException {
        String f = file(seq, level);
        DiskBackup d = new DiskBackup("vda", f, 16L << 20, parent == null ? null : parentFile(parent), 0,
                Checksum.of(Checksum.CRC32C, pristine.resolve(f)), DiskMode.of(parent == null ? "full" : "incremental"));
        return new Backup(seq, level, Instant.parse(time), level == Level.COPY ? null : Naming.checkpointName(setId, seq),
                parent, List.of(d));
    }

    /** A fresh copy of the pristine set, modes kept. */
    private Path fresh(String name) {
        Path dir = root.resolve(name);
        Qemu.Result r = Qemu.run(root, "cp", "-a", pristine.toString(), dir.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        return dir;
    }

    /** The packaged jar, as a process of its own: what the kills hit. */
    private static CliDriver cli() {
        return CliDriver.jar().under("env", "TZ=UTC");
    }

    /**
     * The commands after a kill, in this JVM: the same code as the jar's (CliDriver), without a JVM
     * start each, which keeps the test under a minute. The kept points' days are UTC's, and the
     * follow-ups never plan anew but finish the journaled plan (the last prune finds nothing to do).
     */
    private static final CliDriver AFTER = CliDriver.inProcess();

    private String[] prune(Path dir) {
        return new String[] {"prune", dir.toString(), POLICY[0], POLICY[1], "-c", uri};
    }

    private static List<Path> images(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".qcow2")).sorted().toList();
        }
    }

    /** Each kept point's top file (a prune never renames it away) reads what it read before the prune. */
    private void assertKeptPointsRead(Path dir, String when) throws Exception {
        Manifest m = ManifestFile.load(dir);
        for (int seq : KEPT) {
            String top = m.backups().stream().filter(b -> b.seq() == seq).findFirst().orElseThrow().disks().get(0).file();
            String cmp = Qemu.img(dir, "compare", "-U", top, before.resolve(seq + ".raw").toString());
            assertTrue(cmp.contains("Images are identical."), when + ": backup " + seq + " (" + top + "): " + cmp);
        }
    }

    /**
     * qemu-img check of a file as a kill left it: clean, or with leaked clusters when the kill hit a
     * write into it. A dropped file whose backing file the prune deleted already (it is deleted
     * next) is checked on its own, without its backing chain.
     */
    private static void assertCheckAtKill(Path f, boolean leaksAllowed, String when) {
        Qemu.Result r = Qemu.run(f.getParent(), "qemu-img", "check", "-U", "-f", "qcow2", f.toString());
        if (r.exitCode() == 1 && r.stderr().contains("Could not open backing file")) {
            r = Qemu.run(f.getParent(), "qemu-img", "check", "-U", "json:{\"driver\": \"qcow2\", \"backing\": null, "
                    + "\"file\": {\"driver\": \"file\", \"filename\": \"" + f + "\"}}");
        }
        assertTrue(r.exitCode() == 0 || leaksAllowed && r.exitCode() == 3,
                when + ": qemu-img check " + f + " exited " + r.exitCode() + "\n" + r.stdout() + r.stderr());
    }

    /** What an uninterrupted prune leaves, checked on {@code dir}. */
    private void assertFinished(Path dir, Manifest reference, String when) throws Exception {
        Manifest m = ManifestFile.load(dir);
        assertNull(m.journal(), when + ": the journal is gone");
        assertEquals(reference.bases(), m.bases(), when);
        List<Integer> seqs = m.backups().stream().map(Backup::seq).filter(s -> s < 7).toList();
        assertEquals(reference.backups().stream().map(Backup::seq).toList(), seqs, when);
        assertKeptPointsRead(dir, when);
        List<String> named = new ArrayList<>();
        m.backups().forEach(b -> b.disks().forEach(d -> named.add(d.file())));
        List<String> onDisk = images(dir).stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(named.stream().sorted().toList(), onDisk, when + ": the files are the manifest's");
        for (Path f : images(dir)) {
            Qemu.assertClean(f);
            assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), when + ": " + f);
        }
        assertEquals(checkpointXml(whole), checkpointXml(dir), when + ": the checkpoints of dropped backups are gone");
    }

    private static List<String> checkpointXml(Path dir) throws IOException {
        try (Stream<Path> cps = Files.list(dir.resolve(Naming.CHECKPOINTS_DIR))) {
            return cps.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The steps of the plan, as prune --dry-run --json names them. */
    private List<String> steps() {
        JsonNode j = cli().ok("prune", fresh("dry").toString(), POLICY[0], POLICY[1], "--dry-run", "--json").json();
        List<String> kinds = new ArrayList<>();
        j.get("steps").forEach(s -> kinds.add(s.get("step").asText()));
        return kinds;
    }

    private static List<String> moments(String kind) {
        return switch (kind) {
            case "commit" -> List.of("BEFORE_INTENT", "AFTER_INTENT", "MID_COMMIT", "AFTER_STEP");
            case "manifest-update" -> List.of("BEFORE_INTENT", "AFTER_STEP");
            default -> List.of("BEFORE_INTENT", "AFTER_INTENT", "AFTER_STEP");
        };
    }

    /**
     * Runs the next command on {@code dir} after a kill: it finishes the prune first and says so in
     * one line. When only checkpoint deletions are left, list, verify and restore (no libvirt at hand)
     * leave them and say nothing; the next prune (or backup) finishes them, with the line.
     */
    private void next(String command, Path dir, int done, List<String> kinds) throws Exception {
        boolean onlyCheckpointsLeft = kinds.subList(done, kinds.size()).stream()
                .allMatch(k -> k.equals("delete-checkpoint"));
        boolean reader = !command.equals("prune") && !command.equals("backup");
        Path out = root.resolve(dir.getFileName() + "-out");
        CliDriver.Result r = switch (command) {
            case "list", "verify" -> AFTER.ok(command, dir.toString());
            case "restore" -> AFTER.ok("restore", dir.toString(), "-o", out.toString(), "--at", "3");
            case "prune" -> AFTER.ok(prune(dir));
            default -> AFTER.ok("backup", "-c", uri, "-d", "web01", "-o", dir.toString(), "-l", "copy");
        };
        if (command.equals("restore")) {
            String cmp = Qemu.img(root, "compare", out.resolve("vda.qcow2").toString(), before.resolve("3.raw").toString());
            assertTrue(cmp.contains("Images are identical."), cmp);
        }
        if (onlyCheckpointsLeft && reader) {
            assertEquals(0, r.stderr().lines().filter(l -> l.contains("interrupted prune")).count(), r.toString());
            r = AFTER.ok(prune(dir));
        }
        List<String> lines = r.stderr().lines().filter(l -> l.contains("interrupted prune")).toList();
        assertEquals(1, lines.size(), r.toString());
        assertTrue(lines.get(0).startsWith("virtchain: finishing an interrupted prune of " + dir + " (step "
                + (done + 1) + " of " + kinds.size() + ")"), r.toString());
    }

    @Test
    void aPruneKilledAtAnyMomentOfAnyStepHarmsNoKeptPointAndTheNextCommandFinishesIt() throws Exception {
        long t0 = System.nanoTime();
        List<String> kinds = steps();
        assertTrue(kinds.contains("commit") && kinds.contains("delete-file") && kinds.contains("delete-checkpoint"),
                kinds.toString());
        whole = fresh("whole");
        cli().ok(prune(whole));
        Manifest reference = ManifestFile.load(whole);
        assertEquals(List.of(0), List.copyOf(reference.bases()), "the full stays as a base");
        assertFinished(whole, reference, "uninterrupted");

        // Two at a time: most of a killed run is its JVM and libvirt starting. The commands after a
        // kill run one at a time, in this JVM.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<?>> runs = new ArrayList<>();
        int kills = 0;
        for (int step = 0; step < kinds.size(); step++) {
            for (String moment : moments(kinds.get(step))) {
                int s = step;
                String command = NEXT[kills % NEXT.length];
                kills++;
                runs.add(pool.submit(() -> {
                    killAndFinish(s, moment, kinds, command, reference);
                    return null;
                }));
            }
        }
        pool.shutdown();
        try {
            for (Future<?> r : runs) {
                try {
                    r.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Error err ? err : new AssertionError(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("PruneKillIT: %d kills at exact moments of %d steps in %.1f s%n", kills, kinds.size(),
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Kills a prune of a fresh set at {@code moment} of {@code step}, checks what the kill left, runs
     * {@code command} after it and checks the set is then what {@code reference} says.
     */
    private void killAndFinish(int step, String moment, List<String> kinds, String command, Manifest reference)
            throws Exception {
        String when = "killed at step " + step + " (" + kinds.get(step) + ") " + moment;
        Path dir = fresh("k" + step + "-" + moment);
        CliDriver.Result killed = cli().under("env", PruneRun.KILL_ENV + "=" + step + ":" + moment).run(prune(dir));
        assertEquals(137, killed.exitCode(), when + ": SIGKILLed there\n" + killed);
        assertNotNullJournal(dir, when);
        assertKeptPointsRead(dir, when);
        for (Path f : images(dir)) {
            assertCheckAtKill(f, moment.equals("MID_COMMIT"), when);
        }
        // A manifest update is journaled done with its own write: killed after it, the next step is next.
        int done = step + (kinds.get(step).equals("manifest-update") && moment.equals("AFTER_STEP") ? 1 : 0);
        synchronized (AFTER) {
            next(command, dir, Math.min(done, kinds.size() - 1), kinds);
            AFTER.ok("verify", dir.toString());
            if (ManifestFile.load(dir).journal() != null) {
                // list, verify and restore leave the checkpoint steps for the next prune or backup
                AFTER.ok(prune(dir));
            }
        }
        assertFinished(dir, reference, when + ", then " + command);
    }

    private static void assertNotNullJournal(Path dir, String when) throws Exception {
        assertFalse(ManifestFile.load(dir).journal() == null, when + ": the journal says a prune is under way");
    }

    /** Whether the manifest of {@code dir} journals a prune (its {@code prune} field). */
    private static boolean journaled(Path dir) {
        try {
            return Files.readString(dir.resolve(Naming.MANIFEST)).contains("\"prune\"");
        } catch (IOException e) {
            return false; // between the temporary file's rename and nothing: read again
        }
    }

    @Test
    void aPruneKilledFromOutsideAtMeasuredInstantsHarmsNoKeptPoint() throws Exception {
        // The prune's own part of a run starts when the journal is written (before it: the JVM and
        // libvirt starting) and ends with the process; the kills are spread over that part.
        whole = fresh("timed");
        CliProcess timed = cli().start(root.resolve("logs"), "timed", prune(whole));
        while (!journaled(whole) && timed.alive()) {
            Thread.sleep(2);
        }
        long t0 = System.nanoTime();
        timed.assertOk();
        long span = (System.nanoTime() - t0) / 1_000_000;
        Manifest reference = ManifestFile.load(whole);
        int kills = 6;
        int inside = 0;
        for (int i = 0; i < kills; i++) {
            Path dir = fresh("t" + i);
            long delay = span * i / kills;
            CliProcess p = cli().start(root.resolve("logs"), "t" + i, prune(dir));
            while (!journaled(dir) && p.alive()) {
                Thread.sleep(2);
            }
            Thread.sleep(delay);
            p.kill();
            String when = "killed " + delay + " ms into a prune of " + span + " ms";
            assertKeptPointsRead(dir, when);
            for (Path f : images(dir)) {
                assertCheckAtKill(f, true, when);
            }
            if (ManifestFile.load(dir).journal() != null) {
                inside++;
            }
            AFTER.ok("verify", dir.toString());
            AFTER.ok(prune(dir));
            assertFinished(dir, reference, when);
        }
        System.out.printf("PruneKillIT: %d of %d outside kills landed inside the prune (its steps take %d ms)%n",
                inside, kills, span);
        assertTrue(inside >= kills / 2, inside + " of " + kills + " kills landed inside the prune");
    }
}
