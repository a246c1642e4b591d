package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.qcow2.testing.Processes;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups of a guest with a real guest agent (Debian's qemu-ga in the test guest, on its
 * virtio-serial channel) that keeps writing files into an ext4 file system ({@code vc.do=fswriter}),
 * through the packaged jar on an embedded libvirt root: the test drives the domain with virsh, a
 * process per call, between virtchain runs (one root serves one process at a time).
 *
 * <p>What tells a frozen backup from a crash-consistent one, reliably: ext4 sets the
 * {@code needs_recovery} feature while it is mounted read-write and clears it only when it is
 * unmounted or frozen (the freeze flushes the journal and writes the superblock). So a backup taken
 * with the guest frozen holds a file system that {@code e2fsck -fn} finds clean with nothing to
 * replay, and one taken with {@code --no-freeze} always holds a journal that needs recovery. That
 * is no luck of timing; whether the crash-consistent image has damage beyond the journal is, and
 * is not asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestFreezeIT {
    static final long DISK = 32L << 20;
    static final String NAME = "vc-fz";
    static final CliDriver JAR = CliDriver.jar();
    static final Pattern FS_LINE = Pattern.compile("^VC-FS (\\d+)", Pattern.MULTILINE);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    /**
     * The embedded root, short: the agent's socket lies below it, in
     * {@code lib/qemu/channel/target/domain-N-NAME/org.qemu.guest_agent.0}, and libvirt refuses a
     * unix socket path of more than 107 bytes ("UNIX socket path ... too long") when verify --boot
     * starts {@code NAME-verify-0}. The JUnit temporary directory is too deep for that.
     */
    static Path root;
    static Virsh virsh;
    static Path console;
    static Path logs;
    static final List<CliProcess> RUNS = new ArrayList<>();

    @BeforeAll
    static void startGuest() throws Exception {
        HostRequirements.requireTools("qemu-system-x86_64", "qemu-img", "virsh", "perl");
        HostRequirements.requireToolsFor("GuestFreezeIT", "apt-get install -y e2fsprogs", "mkfs.ext4", "e2fsck",
                "dumpe2fs");
        HostRequirements.requireQemuUser();
        Path kernel = KernelGuest.buildKernel();
        root = Files.createTempDirectory(Path.of("/tmp"), "vcfz");
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/qemu.conf"), EmbeddedLibvirt.QEMU_CONF + EmbeddedLibvirt.NO_VIRTLOGD);
        virsh = Virsh.embedded(root);
        logs = work.resolve("logs");
        Path vm = Files.createDirectories(work.resolve("vm"));
        KernelGuest g = KernelGuest.create(vm, NAME, kernel, DISK);
        formatExt4(vm, g.disks().get("vda"));
        console = vm.resolve("console.log");
        Path xml = vm.resolve(NAME + ".xml");
        Files.writeString(xml, g.domainXml("vc.do=fswriter vc.fs=vda", console, true));
        virsh.define(xml);
        virsh.run("start", NAME);
        awaitWrites(20, Duration.ofMinutes(2));
        assertTrue(agent("guest-ping").contains("\"return\""), "the guest agent does not answer");
    }

    @AfterAll
    static void stopGuest() throws InterruptedException {
        for (CliProcess p : RUNS) {
            p.kill();
        }
        if (virsh != null) {
            virsh.tryRun("destroy", NAME);
            virsh.tryRun("undefine", NAME, "--checkpoints-metadata");
        }
        if (root != null) {
            Processes.run(Path.of("/tmp"), Duration.ofMinutes(1), "coreutils", List.of("rm", "-rf", root.toString()));
        }
    }

    /** An ext4 file system made on the host, as the guest's qcow2 disk. */
    private static void formatExt4(Path dir, Path qcow2) throws IOException {
        Path raw = dir.resolve("ext4.raw");
        try (var f = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(DISK);
        }
        run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", raw.toString());
        Files.delete(qcow2);
        Qemu.img(dir, "convert", "-f", "raw", "-O", "qcow2", raw.toString(), qcow2.toString());
        Files.delete(raw);
    }

    // ---- the tests

    @Test
    @Order(1)
    void aFrozenBackupHoldsACleanFileSystemAndANoFreezeBackupAJournalToReplay() throws Exception {
        int before = writes();
        JsonNode frozen = backup("frozen", "-l", "full");
        assertFrozenBackup(frozen);
        JsonNode crash = backup("crash", "-l", "full", "--no-freeze");
        assertTrue(writes() > before, "the guest kept writing through both backups");

        Path f = restore("frozen");
        assertFalse(features(f).contains("needs_recovery"), features(f));
        Processes.Result fsck = fsck(f);
        assertEquals(0, fsck.exitCode(), fsck.stdout() + fsck.stderr());
        assertFalse((fsck.stdout() + fsck.stderr()).contains("journal"), fsck.stdout() + fsck.stderr());

        Path c = restore("crash");
        assertTrue(features(c).contains("needs_recovery"), features(c));
        Processes.Result dirty = fsck(c);
        assertTrue((dirty.stdout() + dirty.stderr()).contains("skipping journal recovery"),
                dirty.stdout() + dirty.stderr() + " (" + crash + ")");
    }

    @Test
    @Order(2)
    void verifyBootSeesLifeThroughTheGuestAgent() throws Exception {
        CliProcess v = start("verify", "verify", work.resolve("frozen").toString(), "-c", virsh.uri(), "--boot",
                "--expect", "VC-NEVER-PRINTED", "--timeout", "180", "--json");
        assertEquals(0, v.waitFor(300), v.text());
        JsonNode boot = JSON.readTree(v.out()).get("boot");
        assertEquals("guest agent answered", boot.get("sign").asText(), boot.toString());
    }

    @Test
    @Order(3)
    void aBackupKilledWhileTheGuestIsFrozenLeavesItThawedWithinSeconds() throws Exception {
        Path hold = work.resolve("hold-kill");
        CliProcess p = holding(hold, "killed", "-l", "full");
        assertFrozen(p);
        int blocked = writes();
        p.kill();
        long killed = System.nanoTime();
        // The guest's writer goes on once its file system is thawed. Watched on its console, not
        // through the agent: a virsh would hold the embedded root the watchdog needs.
        awaitWrites(blocked + 2, Duration.ofSeconds(60));
        double seconds = (System.nanoTime() - killed) / 1e9;
        assertEquals("\"thawed\"", freezeStatus(), "the guest after the kill");
        assertTrue(seconds < 30, "thawed only after " + seconds + " s");
        System.out.printf("GuestFreezeIT: the guest was thawed %.1f s after the kill%n", seconds);
        String err = Files.readString(logs.resolve("killed.err"));
        assertTrue(err.contains("virtchain: the backup of " + NAME + " ended while the guest was frozen;"
                + " the thaw watchdog thawed its filesystems"), err);
        Files.deleteIfExists(hold);
    }

    @Test
    @Order(4)
    void aJobThatFailsToBeginThawsTheGuestAtOnce() throws Exception {
        Path hold = work.resolve("hold-fail");
        Path dir = work.resolve("fails");
        CliProcess p = holding(hold, "fails", "-l", "full");
        assertFrozen(p);
        // Take its target away: qemu cannot open it, and backup begin fails with the guest frozen.
        try (Stream<Path> files = Files.list(dir)) {
            for (Path partial : files.filter(x -> x.toString().endsWith(".partial")).toList()) {
                Files.delete(partial);
            }
        }
        Files.delete(hold);
        assertEquals(1, p.waitFor(120), p.text());
        assertEquals(1, p.errors().size(), p.text());
        assertTrue(p.errors().get(0).contains("No such file or directory"), p.text());
        assertEquals("\"thawed\"", freezeStatus(), "the guest right after the failed run");
        assertFalse(p.text().contains("thaw watchdog"), "the run thawed the guest itself: " + p.text());
    }

    @Test
    @Order(5)
    void freezeMountpointsFreezesOnlyTheNamedFileSystems() throws Exception {
        JsonNode mnt = backup("mnt", "-l", "full", "--freeze-mountpoints", "/mnt");
        assertFrozenBackup(mnt);
        assertFalse(features(restore("mnt")).contains("needs_recovery"));

        // A list that names no mounted file system: the agent freezes nothing, the backup is crash-consistent.
        JsonNode none = backup("none", "-l", "full", "--freeze-mountpoints", "/nowhere");
        assertTrue(none.get("warnings").toString().contains("the guest agent of " + NAME + " froze no filesystem: "
                + "none of /nowhere is a mounted filesystem it can freeze; the backup is crash-consistent"),
                none.toString());
        assertEquals("\"thawed\"", freezeStatus(), "the agent, frozen with nothing frozen, was thawed");
        assertTrue(features(restore("none")).contains("needs_recovery"));
    }

    // ---- helpers

    /** No warning of a backup that was not frozen (another set's checkpoints deleted are no concern here). */
    private static void assertFrozenBackup(JsonNode summary) {
        for (JsonNode w : summary.get("warnings")) {
            assertFalse(w.asText().contains("crash-consistent") || w.asText().contains("freeze")
                    || w.asText().contains("frozen"), summary.toString());
        }
    }

    private static CliProcess start(String label, String... args) throws IOException {
        CliProcess p = JAR.start(logs, label, args);
        RUNS.add(p);
        return p;
    }

    /** {@code virtchain backup} into {@code work/LABEL}; must succeed; its --json summary. */
    private static JsonNode backup(String label, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup", "-c", virsh.uri(), "-d", NAME, "-o",
                work.resolve(label).toString(), "--json"));
        args.addAll(List.of(more));
        CliProcess p = start(label, args.toArray(String[]::new));
        assertEquals(0, p.waitFor(300), p.text());
        JsonNode summary = JSON.readTree(p.out());
        for (JsonNode d : summary.get("disks")) {
            Qemu.assertClean(work.resolve(label).resolve(d.get("file").asText()));
        }
        return summary;
    }

    /** A backup into {@code work/LABEL} that stops right after the freeze while {@code hold} exists. */
    private static CliProcess holding(Path hold, String label, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup", "-c", virsh.uri(), "-d", NAME, "-o",
                work.resolve(label).toString()));
        args.addAll(List.of(more));
        CliProcess p = JAR.under("env", "VIRTCHAIN_TEST_HOLD_FROZEN=" + hold).start(logs, label,
                args.toArray(String[]::new));
        RUNS.add(p);
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!Files.exists(hold)) {
            assertTrue(p.alive() && System.nanoTime() < deadline, "the run never froze the guest: " + p.text());
            Thread.sleep(50);
        }
        return p;
    }

    /** The guest writes nothing while the run holds it frozen: its writer is blocked in write(2). */
    private static void assertFrozen(CliProcess p) throws Exception {
        Thread.sleep(500);
        int first = writes();
        Thread.sleep(2500);
        assertEquals(first, writes(), "the guest wrote on while frozen: " + p.text());
    }

    /** {@code restore work/LABEL -o work/LABEL-restored -O raw}; the restored vda. */
    private static Path restore(String label) throws Exception {
        Path out = work.resolve(label + "-restored");
        CliProcess p = start(label + "-restore", "restore", work.resolve(label).toString(), "-o", out.toString(),
                "-O", "raw");
        assertEquals(0, p.waitFor(300), p.text());
        return out.resolve("vda.raw");
    }

    private static String features(Path image) {
        for (String line : run("dumpe2fs", "-h", image.toString()).stdout().split("\n")) {
            if (line.startsWith("Filesystem features:")) {
                return line;
            }
        }
        throw new AssertionError("dumpe2fs -h " + image + " printed no features");
    }

    private static Processes.Result fsck(Path image) {
        return Processes.run(work, Duration.ofMinutes(2), "apt-get install -y e2fsprogs",
                List.of("e2fsck", "-fn", image.toString()));
    }

    private static Processes.Result run(String... cmd) {
        Processes.Result r = Processes.run(work, Duration.ofMinutes(2), "apt-get install -y e2fsprogs", List.of(cmd));
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.exitCode() + ":\n" + r.stdout() + r.stderr());
        }
        return r;
    }

    /** The number of the guest's last write ({@code VC-FS n} on its console). */
    private static int writes() throws IOException {
        Matcher m = FS_LINE.matcher(Files.exists(console) ? Files.readString(console) : "");
        int n = 0;
        while (m.find()) {
            n = Integer.parseInt(m.group(1));
        }
        return n;
    }

    private static void awaitWrites(int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (writes() < n) {
            assertTrue(System.nanoTime() < deadline, "the guest did not write " + n + " times; its console:\n"
                    + (Files.exists(console) ? Files.readString(console) : "(none)"));
            Thread.sleep(200);
        }
    }

    private static String freezeStatus() throws Exception {
        Matcher m = Pattern.compile("\"return\":(\"\\w+\")").matcher(agent("guest-fsfreeze-status"));
        assertTrue(m.find());
        return m.group(1);
    }

    /**
     * Runs a guest agent command through virsh and returns its answer. A virsh that opens the
     * embedded root reconnects to the domain's agent in the background, after the command of a
     * one-shot virsh already failed ("QEMU guest agent is not connected"): so it is an interactive
     * virsh that gets the command a moment after it started. Asked again while another process holds
     * the root, for up to a minute.
     */
    private static String agent(String command) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Process p = new ProcessBuilder("virsh", "-q", "-c", virsh.uri()).redirectErrorStream(true).start();
            Thread.sleep(1500);
            try (OutputStream in = p.getOutputStream()) {
                in.write(("qemu-agent-command " + NAME + " '{\"execute\":\"" + command + "\"}'\n")
                        .getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // it died already: its output says why
            }
            last = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            if (last.contains("{\"return\"")) {
                return last;
            }
            Thread.sleep(2000); // the root free for a moment: the thaw watchdog may need it
        }
        throw new AssertionError("no answer to " + command + " from the guest agent of " + NAME + ": " + last);
    }
}
