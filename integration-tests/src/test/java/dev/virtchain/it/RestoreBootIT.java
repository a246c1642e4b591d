package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainOs;
import dev.virtchain.xml.DomainRewrite;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restore, instant boot and verify --boot with a real guest on the embedded driver. The test
 * guest writes random blocks into its two disks (vda, vdb) and reports their sha256 on its
 * console; after each round the domain is backed up (full, inc, diff), so every point in time
 * has checksums the guest itself computed. Restored and booted points are then judged by the
 * guest too: booted with vc.do=sum, it must print that point's checksums. A third disk (vdc)
 * is never backed up, so restore and boot must leave it out.
 *
 * <p>Every in-process backup, boot, boot --stop and verify --boot opens an embedded connection,
 * and a JVM gets about 15 in its life (integration-tests/README.md): this class uses 11 (a prune too). boot
 * and verify check the backup directory before they connect, so the failing cases cost none.
 */
class RestoreBootIT {
    static final long DISK = 16L << 20;
    static final String NAME = "vc-kguest";
    static final List<String> LEVELS = List.of("full", "inc", "diff");
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * In-process: a transient domain that {@code boot} creates through its own connection outlives
     * that connection as long as the test's embedded connection keeps the driver alive.
     */
    static final CliDriver CLI = CliDriver.inProcess();

    @TempDir
    static Path root;
    static EmbeddedLibvirt env;
    static Hypervisor hv;
    static KernelGuest guest;
    static Path bk;
    static Path backupConsole;
    /** Per backup seq, the sums the guest printed for vda and vdb just before that backup. */
    static final Map<Integer, Map<String, String>> expected = new TreeMap<>();
    /** sha256 of every file in the backup directory once all backups were taken. */
    static Map<String, String> pristine;

    @BeforeAll
    static void guestWritesAndIsBackedUpThreeTimes() throws Exception {
        Path kernel = KernelGuest.buildKernel();
        env = EmbeddedLibvirt.start(root.resolve("libvirt"));
        hv = env.hypervisor();
        Path vm = Files.createDirectories(root.resolve("vm"));
        guest = KernelGuest.create(vm, NAME, kernel, DISK, DISK, 1L << 20);
        bk = root.resolve("bk");
        backupConsole = vm.resolve("console-backup.log");
        for (int i = 0; i < LEVELS.size(); i++) {
            Path console = vm.resolve("write-" + i + ".log");
            guest.define(hv, "vc.do=write vc.blocks=8", console);
            String out = guest.runToPowerOff(hv, console);
            assertTrue(out.contains("VC-DONE"), out);
            Map<String, String> sums = KernelGuest.sums(out);
            sums.remove("vdc");
            // The domain as it is backed up: booting any copy of it sums its disks and powers off.
            guest.define(hv, "vc.do=sum", backupConsole);
            String summary = CLI.ok("backup", "-c", hv.uri(), "-d", NAME, "-o", bk.toString(),
                    "-l", LEVELS.get(i), "--start-paused", "--exclude", "vdc", "--json").stdout();
            int seq = JSON.readTree(summary).get("seq").asInt();
            assertFalse(expected.containsKey(seq));
            expected.put(seq, sums);
        }
        assertEquals(3, new java.util.HashSet<>(expected.values()).size(), "every round changed the disks: " + expected);
        BackupDirs.assertImagesClean(bk);
        pristine = checksums(bk);
    }

    @AfterEach
    void backupDirectoryIsUnchanged() throws IOException {
        assertEquals(pristine, checksums(bk), "files of " + bk);
    }

    /**
     * The guest and any copy a failed test left running go first: qemu processes outlive the
     * test JVM, and a guest that never powers off would run on.
     */
    @AfterAll
    static void disconnect() throws Exception {
        if (env == null) {
            return;
        }
        try {
            for (String name : List.of(NAME + "-boot-1", "vc-instant", NAME + "-verify-2",
                    NAME + "-restored-0", NAME + "-restored-1", NAME + "-restored-2", NAME)) {
                if (KernelGuest.running(hv, name)) {
                    hv.destroy(name);
                }
            }
            try {
                hv.undefine(NAME);
            } catch (HypervisorException e) {
                if (!e.isNoDomain()) {
                    throw e;
                }
            }
        } finally {
            env.close();
        }
    }

    @Test
    void eachRestoredPointInTimeBootsWithTheDataTheGuestHadThen() throws Exception {
        for (int seq : expected.keySet()) {
            Path out = root.resolve("restore-" + seq);
            CLI.ok("restore", bk.toString(), "-o", out.toString(), "--at", Integer.toString(seq)).stdout();
            RestorePoint point = RestorePoint.resolve(ManifestFile.load(bk), PointInTime.parse(Integer.toString(seq)));
            for (DiskChain c : point.disks()) {
                Path restored = out.resolve(c.target() + ".qcow2");
                Qemu.img(out, "check", restored.toString());
                // qemu-img's own reading of the same chain is the reference.
                Path reference = out.resolve(c.target() + ".qemu-img.qcow2");
                Qemu.img(out, "convert", "-O", "qcow2", bk.resolve(c.top().file()).toString(), reference.toString());
                assertEquals("Images are identical.", Qemu.img(out, "compare", restored.toString(),
                        reference.toString()).strip(), c.target() + " at " + seq);
            }
            Path console = out.resolve("console.log");
            String restoredXml = Files.readString(out.resolve(NAME + "-restored-" + seq + ".xml"));
            // vdc was never backed up: restore leaves it out rather than point at the original's file.
            assertFalse(restoredXml.contains("dev=\"vdc\"") || restoredXml.contains("dev='vdc'"),
                    "the restored domain has no vdc: " + restoredXml);
            // It boots the kernel and initrd kept with the backup, copied beside the disks.
            DomainOs os = Domain.parse(restoredXml).os();
            assertEquals(out.resolve(NAME + "-restored-" + seq + ".kernel").toAbsolutePath().toString(), os.kernel());
            assertEquals(out.resolve(NAME + "-restored-" + seq + ".initrd").toAbsolutePath().toString(), os.initrd());
            assertEquals(-1, Files.mismatch(Path.of(os.kernel()), bk.resolve(Naming.BootFile.KERNEL.file(seq))));
            String xml = DomainRewrite.of(restoredXml).serialToFile(console.toString()).toXml();
            String name = hv.createTransient(xml);
            KernelGuest.awaitStopped(hv, name, Duration.ofMinutes(2));
            assertEquals(expected.get(seq), KernelGuest.sums(Files.readString(console)), "restored backup " + seq);
        }
    }

    @Test
    void aBootedPointInTimeShowsItsDataAndWritesOnlyIntoItsScratchDirectory() throws Exception {
        Path scratch = root.resolve("scratch");
        String consoleBefore = Files.readString(backupConsole);
        JsonNode b = JSON.readTree(CLI.ok("boot", bk.toString(), "--at", "1", "-c", hv.uri(),
                "--scratch", scratch.toString(), "--json").stdout());
        String name = b.get("name").asText();
        assertEquals(NAME + "-boot-1", name);
        Path dir = scratch.resolve(name);
        assertEquals(dir.toString(), b.get("scratch").asText());
        assertEquals("[\"vdc\"]", b.get("left-out").toString());
        assertTrue(b.get("interfaces-removed").asBoolean());
        // The guest's serial file moved into the scratch directory, under its own name.
        Path console = dir.resolve(backupConsole.getFileName());
        assertEquals("[\"" + console + "\"]", b.get("console-files").toString());

        KernelGuest.awaitStopped(hv, name, Duration.ofMinutes(2));
        assertEquals(expected.get(1), KernelGuest.sums(Files.readString(console)), "booted backup 1");
        assertEquals(consoleBefore, Files.readString(backupConsole), "the original's console file");

        RestorePoint point = RestorePoint.resolve(ManifestFile.load(bk), PointInTime.parse("1"));
        for (DiskChain c : point.disks()) {
            Path overlay = dir.resolve(c.target() + ".overlay.qcow2");
            String info = Qemu.img(dir, "info", "-U", overlay.toString());
            assertTrue(info.contains("backing file: " + bk.resolve(c.top().file()) + "\n"), info);
            Qemu.assertClean(overlay); // made by our writer, then run by the guest until it powered off
        }
        String xml = Files.readString(dir.resolve("domain.xml"));
        assertFalse(xml.contains("<interface") || xml.contains("vdc"), xml);
        DomainOs os = Domain.parse(xml).os();
        assertEquals(dir.resolve(name + ".kernel").toString(), os.kernel(), "boots the backup's kernel, copied");
        assertEquals(dir.resolve(name + ".initrd").toString(), os.initrd());

        String stopped = CLI.ok("boot", "--stop", name, "--scratch", scratch.toString()).stdout();
        assertEquals(name + " was not running; deleted " + dir, stopped.strip());
        assertFalse(Files.exists(dir));
    }

    @Test
    void stopDestroysARunningBootAndDeletesItsScratchDirectory() throws Exception {
        Path scratch = root.resolve("scratch-stop");
        String out = CLI.ok("boot", bk.toString(), "-c", hv.uri(), "--scratch", scratch.toString(),
                "--name", "vc-instant").stdout();
        assertTrue(out.startsWith("booted vc-instant from backup 2 (diff, "), out);
        assertTrue(out.contains("stop it: virtchain boot --stop vc-instant --scratch " + scratch), out);
        assertTrue(hv.isActive("vc-instant"));
        // What the booted copy writes lands in its overlay (and the backup files stay as they were).
        GuestDisks io = new GuestDisks(hv, "vc-instant");
        io.io("vda", "write -P 0x5a 0 1M");
        io.io("vda", "flush"); // qemu keeps the new L2 entries in its cache until a flush
        Path overlay = scratch.resolve("vc-instant/vda.overlay.qcow2");
        assertEquals(1L << 20, DiskChecks.allocatedInTop(Qemu.img(scratch, "map", "-U", "--output=json", overlay.toString())));
        CliDriver.Result again = CLI.run("boot", bk.toString(), "-c", hv.uri(), "--scratch",
                scratch.toString(), "--name", "vc-instant");
        assertEquals(1, again.exitCode(), again.toString());
        assertTrue(again.stderr().contains("is vc-instant booted already?"), again.toString());
        // The boot reads the chain for as long as it runs: a prune of the directory fails at once, naming it.
        Path record = bk.resolve(".boots").resolve("vc-instant.json");
        assertTrue(Files.isRegularFile(record), "the running boot is recorded in the backup directory");
        CliDriver.Result prune = CLI.run("prune", bk.toString(), "--keep-last", "1", "-c", hv.uri());
        assertEquals(1, prune.exitCode(), prune.toString());
        assertEquals(List.of("virtchain: cannot prune: boot vc-instant of " + bk + " is running on " + hv.uri()
                + "; stop it with 'virtchain boot --stop vc-instant --scratch " + scratch + "' or use --wait"),
                prune.stderr().lines().filter(l -> l.startsWith("virtchain: ")).toList(), prune.toString());

        String stopped = CLI.ok("boot", "--stop", "vc-instant", "--scratch", scratch.toString()).stdout();
        assertEquals("destroyed vc-instant; deleted " + scratch.resolve("vc-instant"), stopped.strip());
        assertFalse(Files.exists(record), "boot --stop forgets the boot");
        assertFalse(KernelGuest.running(hv, "vc-instant"));
        assertFalse(Files.exists(scratch.resolve("vc-instant")));
    }

    @Test
    void verifyBootPassesWhenTheGuestPrintsTheExpectedLine() throws Exception {
        Path scratch = root.resolve("scratch-verify");
        CliDriver.Result r = CLI.run("verify", bk.toString(), "--at", "2", "--boot", "--expect", "^VC-READY",
                "-c", hv.uri(), "--scratch", scratch.toString(), "--timeout", "120");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("ok     boot of backup 2 as " + NAME + "-verify-2: console line 'VC-READY"),
                r.stdout());
        assertTrue(r.stdout().contains("and a boot: all good"), r.stdout());
        assertFalse(KernelGuest.running(hv, NAME + "-verify-2"));
        assertEquals(List.of(), list(scratch), "verify --boot leaves no scratch behind");
    }

    @Test
    void verifyBootFailsWhenTheGuestNeverPrintsTheExpectedLine() throws Exception {
        Path scratch = root.resolve("scratch-silent");
        CliDriver.Result r = CLI.run("verify", bk.toString(), "--boot", "--expect", "login:",
                "-c", hv.uri(), "--scratch", scratch.toString(), "--timeout", "120", "--json");
        assertEquals(1, r.exitCode(), r.toString());
        JsonNode boot = JSON.readTree(r.stdout()).get("boot");
        assertFalse(boot.get("alive").asBoolean(), r.stdout());
        assertEquals("the domain stopped without a sign of life", boot.get("sign").asText());
        assertTrue(boot.get("console-tail").toString().contains("VC-DONE"), r.stdout());
        assertTrue(r.stderr().contains("gave no sign of life"), r.stderr());
        assertEquals(List.of(), list(scratch));
    }

    @Test
    void verifyBootFailsOnAFlippedByteInADataCluster() throws Exception {
        Path bad = copy(bk, root.resolve("bk-flipped"));
        String file = ManifestFile.load(bad).backup(0).orElseThrow().disk("vda").orElseThrow().file();
        long offset = firstDataOffset(bad.resolve(file));
        try (RandomAccessFile f = new RandomAccessFile(bad.resolve(file).toFile(), "rw")) {
            f.seek(offset + 4096);
            int b = f.read();
            f.seek(offset + 4096);
            f.write(b ^ 0x01);
        }
        CliDriver.Result r = CLI.run("verify", bad.toString(), "--at", "2", "--boot", "--expect", "VC-READY",
                "-c", hv.uri(), "--scratch", root.resolve("scratch-flipped").toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("FAILED " + file), r.stdout());
        assertTrue(r.stdout().contains("boot   skipped: the files have problems"), r.stdout());
        assertTrue(r.stderr().contains(file + ": crc32c is "), r.stderr());
    }

    @Test
    void aBrokenBackingLinkFailsVerifyBootAndBootStartsNothing() throws Exception {
        Path bad = copy(bk, root.resolve("bk-unlinked"));
        String inc = ManifestFile.load(bad).backup(1).orElseThrow().disk("vda").orElseThrow().file();
        Qemu.img(bad, "rebase", "-u", "-b", "vda.0099.full.qcow2", "-F", "qcow2", inc);
        Path scratch = root.resolve("scratch-unlinked");

        CliDriver.Result v = CLI.run("verify", bad.toString(), "--at", "1", "--boot", "--expect", "VC-READY",
                "-c", hv.uri(), "--scratch", scratch.toString());
        assertEquals(1, v.exitCode(), v.toString());
        assertTrue(v.stderr().contains(inc + " links to 'vda.0099.full.qcow2' in its qcow2 header"), v.stderr());
        assertTrue(v.stdout().contains("boot   skipped"), v.stdout());

        CliDriver.Result b = CLI.run("boot", bad.toString(), "--at", "1", "-c", hv.uri(),
                "--scratch", scratch.toString());
        assertEquals(1, b.exitCode(), b.toString());
        assertTrue(b.stderr().startsWith("virtchain: " + inc + " links to 'vda.0099.full.qcow2'"), b.stderr());
        assertFalse(KernelGuest.running(hv, NAME + "-boot-1"));
        assertEquals(List.of(), list(scratch));
    }

    @Test
    void aScratchDirectoryInsideTheBackupDirectoryIsRefused() {
        CliDriver.Result r = CLI.run("boot", bk.toString(), "-c", hv.uri(), "--scratch",
                bk.resolve("scratch").toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("is inside the backup directory"), r.stderr());
        assertFalse(Files.exists(bk.resolve("scratch")));
    }

    // ---- helpers

    /** The host offset of the first data cluster qemu-img map finds in {@code image} itself. */
    private static long firstDataOffset(Path image) {
        String map = Qemu.img(image.getParent(), "map", "--output=json", image.toString());
        for (String line : map.split("\n")) {
            if (line.contains("\"depth\": 0") && line.contains("\"data\": true") && line.contains("\"offset\"")) {
                return Long.parseLong(line.replaceAll(".*\"offset\": (\\d+).*", "$1"));
            }
        }
        throw new AssertionError("no data cluster in " + image + ":\n" + map);
    }

    private static Path copy(Path from, Path to) {
        Qemu.Result r = Qemu.run(from.getParent(), "cp", "-a", from.toString(), to.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        return to;
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static Map<String, String> checksums(Path dir) throws IOException {
        Map<String, String> sums = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            // A running boot's record (.boots/NAME.json) is the one thing a boot writes there.
            s.filter(Files::isRegularFile).filter(f -> !dir.relativize(f).startsWith(".boots")).forEach(files::add);
        }
        for (Path f : files) {
            sums.put(dir.relativize(f).toString(), Checksum.of("sha256", f).value());
        }
        return sums;
    }
}
