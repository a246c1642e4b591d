package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackupRun's success and failure paths (docs/DESIGN.md, "How one push backup runs") against a fake
 * hypervisor: what is left in the directory, in the manifest and among the domain's checkpoints
 * after every way a run can fail.
 */
class BackupRunTest {
    private static final String DOMAIN = "vm1";
    private static final String UUID_ = "6f1a1d6e-34b4-4c43-9f5c-1f0c1b4e0a01";

    @TempDir
    Path tmp;
    Path dir;
    FakeHypervisor hv;
    StringWriter errText;

    @BeforeEach
    void setUp() throws IOException {
        Path disk = tmp.resolve("vm1-vda.qcow2");
        Qcow2Writer.create(disk, CreateOptions.of(1 << 20)).close();
        Qemu.assertClean(disk);
        hv = new FakeHypervisor(disk);
        dir = tmp.resolve("backup");
    }

    private BackupOptions options(RequestedLevel level, boolean autoFull, String preHook, String postHook) {
        return new BackupOptions(DOMAIN, dir, level, Set.of(), Set.of(), BackupOptions.Freeze.AUTO, false, preHook,
                postHook, Duration.ofSeconds(30), autoFull, Checksum.CRC32C);
    }

    private BackupReport run(RequestedLevel level) throws Exception {
        return run(options(level, false, null, null));
    }

    /** Runs a backup; the targets it made (empty: the fake job writes nothing) pass qemu-img check. */
    private BackupReport run(BackupOptions o) throws Exception {
        errText = new StringWriter();
        BackupReport r = new BackupRun(hv, Clock.fixed(Instant.parse("2026-01-05T10:00:00Z"), ZoneOffset.UTC),
                new PrintWriter(errText, true), false).run(o);
        for (DiskBackup d : r.backup().disks()) {
            Qemu.assertClean(dir.resolve(d.file()));
        }
        return r;
    }

    private byte[] manifestBytes() throws IOException {
        return Files.readAllBytes(dir.resolve("virtchain.json"));
    }

    /** Every file in the backup directory (and checkpoints/), relative names, sorted. */
    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(n -> !n.equals(".lock") && !n.equals(".readers.lock")).sorted().toList();
        }
    }

    private Manifest manifest() throws Exception {
        return ManifestFile.load(dir);
    }

    // --- backupBegin fails ----------------------------------------------------------------

    @Test
    void beginFailingLeavesNoTargetsNoCheckpointAndTheManifestUntouched() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        List<String> filesBefore = files();
        hv.beginFailures.add(new HypervisorException("domain vm1: backup begin: internal error: qemu said no"));

        HypervisorException e = assertThrows(HypervisorException.class, () -> run(RequestedLevel.INC));
        assertEquals("domain vm1: backup begin: internal error: qemu said no", e.getMessage());
        assertArrayEquals(before, manifestBytes());
        assertEquals(filesBefore, files());
        assertEquals(List.of(checkpoint(0)), hv.checkpointNames(DOMAIN));
    }

    // --- the job ends badly ---------------------------------------------------------------

    @Test
    void aFailedJobDeletesItsCheckpointAndFilesAndRecordsNothing() throws Exception {
        jobThatEnds(JobStats.Type.FAILED, "No space left on device");
    }

    @Test
    void aCancelledJobDeletesItsCheckpointAndFilesAndRecordsNothing() throws Exception {
        jobThatEnds(JobStats.Type.CANCELLED, null);
    }

    private void jobThatEnds(JobStats.Type how, String error) throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        List<String> filesBefore = files();
        hv.jobScript.add(new JobStats(JobStats.Type.UNBOUNDED, 9, 1 << 19, 1 << 20, 1 << 19, null));
        hv.jobScript.add(new JobStats(how, 9, 1 << 19, 1 << 20, 1 << 19, error));

        BackupException e = assertThrows(BackupException.class, () -> run(RequestedLevel.INC));
        String expected = "backup job of vm1 " + how.name().toLowerCase() + (error == null ? "" : ": " + error)
                + "; its files and checkpoint were deleted, nothing was recorded";
        assertEquals(expected, e.getMessage());
        assertTrue(hv.created.contains(checkpoint(1)), "begin created the run's checkpoint");
        assertEquals(List.of(checkpoint(0)), hv.checkpointNames(DOMAIN), "and the failure deleted it again");
        assertArrayEquals(before, manifestBytes());
        assertEquals(filesBefore, files());
    }

    // --- checkpoints libvirt lost ---------------------------------------------------------

    @Test
    void lostCheckpointsAreRedefinedFromTheirSavedXmlParentsFirstAndTheIncGoesOn() throws Exception {
        run(RequestedLevel.FULL);
        run(RequestedLevel.INC);
        hv.checkpoints.clear(); // e.g. a reinstalled libvirt, or metadata-only deletes

        BackupReport r = run(RequestedLevel.INC);
        assertEquals(List.of(checkpoint(0), checkpoint(1)), hv.redefined, "parents first");
        assertEquals(Level.INC, r.backup().level());
        assertEquals(2, r.backup().seq());
        assertEquals(1, r.backup().parentSeq());
        assertTrue(hv.lastBackupXml.contains("<incremental>" + checkpoint(1) + "</incremental>"), hv.lastBackupXml);
        assertTrue(errText.toString().contains("libvirt had lost checkpoint " + checkpoint(0)), errText.toString());
        assertEquals(3, manifest().backups().size());
    }

    @Test
    void aLostCheckpointWithoutSavedXmlFailsTheIncWithAdvice() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        hv.checkpoints.clear();
        Files.delete(dir.resolve("checkpoints").resolve(checkpoint(0) + ".xml"));

        ChainException e = assertThrows(ChainException.class, () -> run(RequestedLevel.INC));
        assertTrue(e.getMessage().contains("checkpoint " + checkpoint(0) + " of backup 0 is gone from domain vm1"),
                e.getMessage());
        assertTrue(e.getMessage().contains("run a full backup (or add --auto-full to fall back to one)"), e.getMessage());
        assertArrayEquals(before, manifestBytes());
        assertEquals(1, hv.begins, "only the full began a job");
    }

    @Test
    void aLostCheckpointWithoutSavedXmlAndAutoFullMakesAFullWithAWarning() throws Exception {
        run(RequestedLevel.FULL);
        hv.checkpoints.clear();
        Files.delete(dir.resolve("checkpoints").resolve(checkpoint(0) + ".xml"));

        BackupReport r = run(options(RequestedLevel.INC, true, null, null));
        assertEquals(Level.FULL, r.backup().level());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("taking a full backup instead (--auto-full)")),
                r.warnings().toString());
        assertFalse(hv.lastBackupXml.contains("<incremental>"), hv.lastBackupXml);
    }

    // --- a checkpoint without its bitmap ----------------------------------------------------

    /** What libvirt 9.0 says (BackupFaultsIT): a bitmap removed from the image, or one a killed qemu left in use. */
    private static final String BITMAP_ERROR = "domain vm1: backup begin: checkpoint inconsistent: "
            + "missing or broken bitmap 'virtchain.x.0000' for disk 'vda'";

    private static HypervisorException bitmapError() {
        return new HypervisorException(BITMAP_ERROR, HypervisorException.CHECKPOINT_INCONSISTENT, null);
    }

    @Test
    void aBitmapErrorOnAnIncGivesClearAdvice() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        List<String> filesBefore = files();
        hv.beginFailures.add(bitmapError());

        BackupException e = assertThrows(BackupException.class, () -> run(RequestedLevel.INC));
        assertEquals(BITMAP_ERROR + "; the chain cannot continue from checkpoint " + checkpoint(0)
                + ": run a full backup (-l full), or use --auto-full", e.getMessage());
        assertArrayEquals(before, manifestBytes());
        assertEquals(filesBefore, files());
        assertEquals(List.of(checkpoint(0)), hv.checkpointNames(DOMAIN));
    }

    @Test
    void aBitmapErrorOnAnIncWithAutoFullFallsBackToAFull() throws Exception {
        run(RequestedLevel.FULL);
        hv.beginFailures.add(bitmapError());

        BackupReport r = run(options(RequestedLevel.INC, true, null, null));
        assertEquals(Level.FULL, r.backup().level());
        assertEquals(1, r.backup().seq());
        assertNull(r.backup().parentSeq());
        assertEquals(3, hv.begins, "the full, the refused inc, the fallback full");
        assertFalse(hv.lastBackupXml.contains("<incremental>"), hv.lastBackupXml);
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("taking a full backup instead (--auto-full)")),
                r.warnings().toString());
        assertEquals(List.of(checkpoint(1)), hv.checkpointNames(DOMAIN), "the new full retired the old chain's");
        assertEquals(List.of("checkpoints/" + checkpoint(0) + ".xml", "checkpoints/" + checkpoint(1) + ".xml",
                "domain.0000.xml", "domain.0001.xml", "vda.0000.full.qcow2", "vda.0001.full.qcow2", "virtchain.json"),
                files());
    }

    @Test
    void anotherErrorThatNamesABitmapIsNotTakenForALostBitmap() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        String said = "domain vm1: backup begin: internal error: unable to merge bitmap 'x' on node 'libvirt-1-format'";
        hv.beginFailures.add(new HypervisorException(said, HypervisorException.INTERNAL_ERROR, null));

        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(options(RequestedLevel.INC, true, null, null)));
        assertEquals(said, e.getMessage(), "libvirt's error as it is, even with --auto-full");
        assertEquals(2, hv.begins, "no fallback full began");
        assertArrayEquals(before, manifestBytes());
        assertEquals(List.of(checkpoint(0)), hv.checkpointNames(DOMAIN));
    }

    // --- hooks ----------------------------------------------------------------------------

    @Test
    void aFailingPreHookStopsTheRunWithNothingCreated() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        List<String> filesBefore = files();

        IOException e = assertThrows(IOException.class,
                () -> run(options(RequestedLevel.INC, false, "echo not now; exit 3", null)));
        assertEquals("pre-hook 'echo not now; exit 3' exited 3: not now", e.getMessage());
        assertEquals(1, hv.begins);
        assertArrayEquals(before, manifestBytes());
        assertEquals(filesBefore, files());
        assertEquals(List.of(checkpoint(0)), hv.checkpointNames(DOMAIN));
    }

    @Test
    void aHookThatFailsOrTakesTooLongIsAHookException() throws Exception {
        HookException failed = assertThrows(HookException.class,
                () -> run(options(RequestedLevel.FULL, false, "echo not now; exit 3", null)));
        assertEquals(ErrorKind.IO, failed.kind());
        HookException slow = assertThrows(HookException.class, () -> run(new BackupOptions(DOMAIN, dir,
                RequestedLevel.FULL, Set.of(), Set.of(), BackupOptions.Freeze.AUTO, false, "sleep 5", null,
                Duration.ofSeconds(1), false, Checksum.CRC32C)));
        assertEquals("pre-hook 'sleep 5' did not finish within 1 s and was killed", slow.getMessage());
    }

    @Test
    void hooksSeeTheRunInTheirEnvironment() throws Exception {
        Path log = tmp.resolve("hooks.log");
        String hook = "echo $0 $VIRTCHAIN_DOMAIN $VIRTCHAIN_LEVEL $VIRTCHAIN_SEQ $VIRTCHAIN_DIR ${VIRTCHAIN_STATUS:-none}"
                + " >> " + log;
        run(options(RequestedLevel.AUTO, false, hook.replace("$0", "pre"), hook.replace("$0", "post")));
        assertEquals(List.of("pre vm1 full 0 " + dir.toAbsolutePath() + " none",
                "post vm1 full 0 " + dir.toAbsolutePath() + " ok"), Files.readAllLines(log));
    }

    // --- retiring the old chain ---------------------------------------------------------------

    @Test
    void aFullDeletesOlderCheckpointsOnlyOnceTheManifestNamesIt() throws Exception {
        run(RequestedLevel.FULL);
        run(RequestedLevel.INC);
        List<String> seen = new ArrayList<>();
        hv.onDelete = cp -> {
            Manifest m = ManifestFile.load(dir);
            assertEquals(2, m.lastSeq(), "the manifest names the new full before " + cp + " goes");
            assertEquals(Level.FULL, m.latest().orElseThrow().level());
            seen.add(cp);
        };
        run(RequestedLevel.FULL);
        assertEquals(List.of(checkpoint(0), checkpoint(1)), seen);
        assertEquals(List.of(checkpoint(2)), hv.checkpointNames(DOMAIN));
    }

    // --- what a dead run left behind ------------------------------------------------------

    @Test
    void whatADeadRunLeftIsCleanedUpAndTheIncGoesOn() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        // A run killed after begin: its checkpoint, its partial target, even final names it renamed.
        hv.checkpoints.put(checkpoint(1), checkpointXml(checkpoint(1)));
        Files.writeString(dir.resolve("vda.0001.inc.qcow2.partial"), "half");
        Files.writeString(dir.resolve("vda.0002.inc.qcow2"), "renamed, never recorded");
        Files.writeString(dir.resolve("domain.0002.xml"), "<domain/>");
        Files.writeString(dir.resolve("checkpoints").resolve(checkpoint(2) + ".xml"), "<domaincheckpoint/>");
        Files.writeString(dir.resolve(".virtchain.json.123.tmp"), "{");
        Files.writeString(dir.resolve("notes.txt"), "the user's own file");
        // ... and its job, still writing into this directory.
        hv.last = new JobStats(JobStats.Type.UNBOUNDED, 9, 1, 2, 1, null);
        hv.runningBackupXml = "<domainbackup mode='push'><disks><disk name='vda' backup='yes' type='file'>"
                + "<target file='" + dir.toAbsolutePath().resolve("vda.0001.inc.qcow2.partial") + "'/></disk></disks>"
                + "</domainbackup>";

        BackupReport r = run(RequestedLevel.INC);
        assertEquals(1, hv.aborts, "the dead run's job was aborted");
        assertTrue(hv.deleted.contains(checkpoint(1)), "its checkpoint was deleted");
        assertEquals(Level.INC, r.backup().level());
        assertEquals(1, r.backup().seq());
        assertEquals(List.of("checkpoints/" + checkpoint(0) + ".xml", "checkpoints/" + checkpoint(1) + ".xml",
                "domain.0000.xml", "domain.0001.xml", "notes.txt", "vda.0000.full.qcow2", "vda.0001.inc.qcow2",
                "virtchain.json"), files());
        assertFalse(java.util.Arrays.equals(before, manifestBytes()));
        String err = errText.toString();
        assertTrue(err.contains("a backup job of a virtchain run that died is still writing into " + dir), err);
        assertTrue(err.contains("deleted 5 files a virtchain run that died left in " + dir), err);
    }

    @Test
    void theTemporaryFilesOfDurableWritesADeadRunLeftAreDeleted() throws Exception {
        run(RequestedLevel.FULL);
        Files.writeString(dir.resolve(".virtchain.json.4711.partial"), "{");
        Files.writeString(dir.resolve(".domain.0001.xml.4712.partial"), "<dom");
        Files.writeString(dir.resolve("checkpoints").resolve("." + checkpoint(1) + ".xml.4713.partial"), "<dom");
        run(RequestedLevel.INC);
        assertEquals(List.of("checkpoints/" + checkpoint(0) + ".xml", "checkpoints/" + checkpoint(1) + ".xml",
                "domain.0000.xml", "domain.0001.xml", "vda.0000.full.qcow2", "vda.0001.inc.qcow2",
                "virtchain.json"), files());
        assertTrue(errText.toString().contains("deleted 3 files a virtchain run that died left in " + dir),
                errText.toString());
    }

    @Test
    void aJobThatIsNotOursStopsTheRunWithAClearMessage() throws Exception {
        run(RequestedLevel.FULL);
        byte[] before = manifestBytes();
        hv.last = new JobStats(JobStats.Type.UNBOUNDED, 9, 1, 2, 1, null);
        hv.runningBackupXml = "<domainbackup mode='push'><disks><disk name='vda' backup='yes' type='file'>"
                + "<target file='/elsewhere/vda.qcow2'/></disk></disks></domainbackup>";

        BackupException e = assertThrows(BackupException.class, () -> run(RequestedLevel.INC));
        assertEquals("domain vm1 is busy with another backup: back up once it has ended (virsh domjobinfo vm1), "
                + "or abort it with 'virsh domjobabort vm1'", e.getMessage());
        assertEquals(0, hv.aborts);
        assertArrayEquals(before, manifestBytes());
    }

    @Test
    void aDiskTooLargeForTheTargetsClustersNamesTheBackupFileNotItsPartialName() throws Exception {
        Files.delete(hv.disk);
        dev.virtchain.qcow2.testing.Qemu.img(tmp, "create", "-q", "-f", "qcow2", "-o", "cluster_size=2M",
                hv.disk.getFileName().toString(), "128P");

        dev.virtchain.qcow2.ImageException e = assertThrows(dev.virtchain.qcow2.ImageException.class,
                () -> run(RequestedLevel.FULL));
        assertEquals(dir.resolve("vda.0000.full.qcow2") + ": size 144115188075855872 is too large for 65536-byte"
                + " clusters (at most 2251799813685248)", e.getMessage());
        assertEquals(List.of(), files(), "the run left nothing behind");
    }

    @Test
    void aDiskOfSizeZeroIsRefusedInOneLineNamingIt() throws Exception {
        Files.delete(hv.disk);
        Qcow2Writer.create(hv.disk, CreateOptions.of(0)).close();

        BackupException e = assertThrows(BackupException.class, () -> run(RequestedLevel.FULL));
        assertEquals("disk vda (" + hv.disk + ") has virtual size 0: there is nothing to back up; leave it out with"
                + " --exclude", e.getMessage());
        assertEquals(ErrorKind.UNSUPPORTED, e.kind());
    }

    // --- the fake -------------------------------------------------------------------------

    private String checkpoint(int seq) throws Exception {
        return "virtchain." + manifest().setId() + "." + String.format("%04d", seq);
    }

    static String checkpointXml(String name) {
        return "<domaincheckpoint><name>" + name + "</name><disks><disk name='vda' checkpoint='bitmap'/></disks>"
                + "</domaincheckpoint>";
    }

    /** libvirt as BackupRun sees it: one running domain with one qcow2 disk; jobs end as scripted. */
    static final class FakeHypervisor implements Hypervisor {
        private static final Pattern NAME = Pattern.compile("<name>([^<]+)</name>");
        final Path disk;
        final Map<String, String> checkpoints = new LinkedHashMap<>();
        final Deque<HypervisorException> beginFailures = new ArrayDeque<>();
        /** How the next job goes, poll by poll; a job that completes at once when empty. */
        final Deque<JobStats> jobScript = new ArrayDeque<>();
        private final Deque<JobStats> running = new ArrayDeque<>();
        final List<String> redefined = new ArrayList<>();
        final List<String> created = new ArrayList<>();
        final List<String> deleted = new ArrayList<>();
        CheckedConsumer onDelete = cp -> { };
        String lastBackupXml;
        String runningBackupXml;
        int begins;
        int aborts;
        JobStats last = new JobStats(JobStats.Type.NONE, 0, 0, 0, 0, null);

        interface CheckedConsumer {
            void accept(String s) throws Exception;
        }

        FakeHypervisor(Path disk) {
            this.disk = disk;
        }

        @Override
        public String uri() {
            return "fake:///";
        }

        @Override
        public DomainRef domain(String name) throws HypervisorException {
            if (!name.equals(DOMAIN)) {
                throw new HypervisorException("domain " + name + ": no such domain on fake:///");
            }
            return new DomainRef(DOMAIN, UUID_);
        }

        @Override
        public String define(String domainXml) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void undefine(String domain) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String domainXml(String domain) {
            return "<domain type='qemu'><name>" + DOMAIN + "</name><uuid>" + UUID_ + "</uuid>"
                    + "<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices>"
                    + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + disk
                    + "'/><target dev='vda' bus='virtio'/><alias name='virtio-disk0'/></disk>"
                    + "</devices></domain>";
        }

        @Override
        public boolean isActive(String domain) {
            return true;
        }

        @Override
        public void start(String domain, boolean paused) {
        }

        @Override
        public void suspend(String domain) {
        }

        @Override
        public void resume(String domain) {
        }

        @Override
        public void destroy(String domain) {
        }

        @Override
        public List<String> checkpointNames(String domain) {
            return List.copyOf(checkpoints.keySet());
        }

        @Override
        public String checkpointXml(String domain, String checkpoint) throws HypervisorException {
            String x = checkpoints.get(checkpoint);
            if (x == null) {
                throw new HypervisorException("domain vm1: no checkpoint named " + checkpoint);
            }
            return x;
        }

        @Override
        public void redefineCheckpoint(String domain, String checkpointXml) {
            String name = name(checkpointXml);
            redefined.add(name);
            checkpoints.put(name, checkpointXml);
        }

        @Override
        public void deleteCheckpoint(String domain, String checkpoint, boolean metadataOnly) throws HypervisorException {
            if (checkpoints.remove(checkpoint) == null) {
                throw new HypervisorException("domain vm1: no checkpoint named " + checkpoint);
            }
            deleted.add(checkpoint);
            try {
                onDelete.accept(checkpoint);
            } catch (Exception | AssertionError e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void backupBegin(String domain, String backupXml, String checkpointXml) throws HypervisorException {
            begins++;
            lastBackupXml = backupXml;
            if (!beginFailures.isEmpty()) {
                throw beginFailures.poll();
            }
            Matcher inc = Pattern.compile("<incremental>([^<]+)</incremental>").matcher(backupXml);
            if (inc.find() && !checkpoints.containsKey(inc.group(1))) {
                throw new HypervisorException("domain vm1: backup begin: no checkpoint " + inc.group(1));
            }
            if (checkpointXml != null) {
                String name = name(checkpointXml);
                created.add(name);
                checkpoints.put(name, BackupRunTest.checkpointXml(name));
            }
            running.addAll(jobScript);
            jobScript.clear();
            if (running.isEmpty()) {
                running.add(new JobStats(JobStats.Type.COMPLETED, 9, 1 << 20, 1 << 20, 0, null));
            }
        }

        @Override
        public String backupXml(String domain) throws HypervisorException {
            if (runningBackupXml == null) {
                throw new HypervisorException("domain vm1: backup XML: no backup job");
            }
            return runningBackupXml;
        }

        @Override
        public JobStats jobStats(String domain) {
            if (!running.isEmpty()) {
                last = running.poll();
            }
            return last;
        }

        @Override
        public void abortJob(String domain) throws HypervisorException {
            if (last.finished()) {
                throw new HypervisorException("domain vm1: abort job: no job is active");
            }
            aborts++;
            running.clear();
            last = new JobStats(JobStats.Type.CANCELLED, 9, 0, 0, 0, "cancelled");
            runningBackupXml = null;
        }

        @Override
        public boolean fsFreeze(String domain) {
            return false;
        }

        @Override
        public boolean fsThaw(String domain) {
            return false;
        }

        @Override
        public String hmp(String domain, String command) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }

        private static String name(String xml) {
            Matcher m = NAME.matcher(xml);
            if (!m.find()) {
                throw new IllegalArgumentException("no <name> in " + xml);
            }
            return m.group(1);
        }
    }
}
