package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.libvirt.DomainState;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way a push backup fails, as its facts (libvirt's error code and origin, the domain's state,
 * jobs, disks, qemu's user, the targets) and the one line virtchain prints for it. The ones this
 * host can produce for real are also produced in integration-tests' PushFailuresIT.
 */
class PushFailuresTest {
    private static final Path DIR = Path.of("/backup/vm1");
    private static final String URI = "qemu:///system";
    /** qemu's own words, as libvirt's qemu driver passes them on: nothing here reads them. */
    private static final HypervisorException QEMU_FAILED = new HypervisorException("domain vm1: backup begin: "
            + "internal error: unable to execute QEMU command 'transaction': ...", HypervisorException.INTERNAL_ERROR,
            HypervisorException.FROM_QEMU, null);

    private static PushFacts facts() {
        return PushFacts.none(DIR);
    }

    private static PushFacts with(DomainState state, JobStats job, Map<String, Integer> blockJobs) {
        return new PushFacts(DIR, state, job, blockJobs, Map.of(), Map.of(), null, List.of(), 0, 1L << 30, null,
                Boolean.FALSE);
    }

    @Test
    void aDriverWithoutTheBackupApiSaysWhichDriverToUse() {
        HypervisorException e = new HypervisorException("domain vm1: backup begin: this function is not supported",
                HypervisorException.NO_SUPPORT, 12, null);
        java.io.IOException line = PushFailures.begin("vm1", "test:///default", e, facts());
        assertEquals("libvirt on test:///default cannot make push-mode backups (its driver lacks libvirt's backup and job"
                + " calls): back up through libvirt's qemu driver (qemu:///system, or qemu:///embed?root=DIR) of libvirt 6.0 or"
                + " later with qemu 4.2 or later", line.getMessage());
        assertEquals(ErrorKind.UNSUPPORTED, ((BackupException) line).kind());
        assertSame(e, line.getCause(), "libvirt's words stay with --debug");
    }

    @Test
    void aFlagLibvirtRefusesSaysLibvirtIsTooOld() {
        // What libvirt 9.0's qemu driver raises for a flag it does not know (PushFailuresIT asks it).
        HypervisorException e = new HypervisorException("domain vm1: backup begin: unsupported flags (0x80) in function"
                + " qemuDomainBackupBegin", HypervisorException.INVALID_ARG, HypervisorException.FROM_QEMU, null);
        assertEquals("libvirt on " + URI + " refuses an argument of the push backup virtchain asks for (domain vm1:"
                + " backup begin: unsupported flags (0x80) in function qemuDomainBackupBegin): a libvirt older than"
                + " virtchain needs refuses its flags; upgrade libvirt (Debian 12's libvirt 9.0 with qemu 7.2 is known"
                + " to work)", PushFailures.beginLine("vm1", URI, e, facts()));
    }

    @Test
    void aDiskBusyWithABlockJobNamesTheDiskTheJobAndHowToEndIt() {
        PushFacts f = with(new DomainState(1, 1), null, Map.of("vda", 2));
        java.io.IOException line = PushFailures.begin("vm1", URI, QEMU_FAILED, f);
        assertEquals("domain vm1: disk vda is busy with a block job (copy), and libvirt runs one job per disk: wait for"
                + " it to end (virsh blockjob vm1 vda --info) or abort it (virsh blockjob vm1 vda --abort), then back"
                + " up again", line.getMessage());
        assertEquals(ErrorKind.CONFLICT, ((BackupException) line).kind());
    }

    @Test
    void aDomainMigratingOrBeingSavedSaysSoByTheJobsOperation() {
        assertEquals("domain vm1 is busy with an outgoing migration: back up once it has ended (virsh domjobinfo vm1),"
                + " or abort it with 'virsh domjobabort vm1'",
                PushFailures.beginLine("vm1", URI, QEMU_FAILED, with(null, new JobStats(JobStats.Type.UNBOUNDED, 5, 0,
                        0, 0, null), Map.of())));
        assertEquals("domain vm1 is busy with a save to a file: back up once it has ended (virsh domjobinfo vm1), or"
                + " abort it with 'virsh domjobabort vm1'",
                PushFailures.otherJob("vm1", new JobStats(JobStats.Type.UNBOUNDED, 2, 0, 0, 0, null)));
        assertEquals("domain vm1 is busy with another job (libvirt job operation 42): back up once it has ended"
                + " (virsh domjobinfo vm1), or abort it with 'virsh domjobabort vm1'",
                PushFailures.otherJob("vm1", new JobStats(JobStats.Type.BOUNDED, 42, 0, 0, 0, null)));
    }

    @Test
    void aDomainPausedByAMigrationSaysSoByItsStateReason() {
        PushFacts f = with(new DomainState(DomainState.PAUSED, DomainState.PAUSED_MIGRATION), null, Map.of());
        assertEquals("domain vm1 is paused by a migration: back up once it has ended (virsh domjobinfo vm1; virsh"
                + " domstate vm1 --reason)", PushFailures.beginLine("vm1", URI, QEMU_FAILED, f));
    }

    @Test
    void aQcow2Version2DiskSaysItCannotHoldBitmapsAndHowToUpgradeIt() {
        PushFacts f = new PushFacts(DIR, null, null, Map.of(), Map.of(), Map.of("vdb", "/vm/old.qcow2"), null,
                List.of(), 0, -1, null, Boolean.FALSE);
        java.io.IOException line = PushFailures.begin("vm1", URI, QEMU_FAILED, f);
        assertEquals("domain vm1: disk vdb (/vm/old.qcow2) is a qcow2 version 2 image (compat=0.10), which cannot hold"
                + " the persistent bitmap a checkpoint needs: upgrade it while vm1 is shut off (qemu-img amend -f qcow2"
                + " -o compat=1.1 /vm/old.qcow2), leave it out (--exclude vdb), or make copies of it (-l copy)",
                line.getMessage());
        assertEquals(ErrorKind.UNSUPPORTED, ((BackupException) line).kind());
    }

    @Test
    void aTargetQemusUserMayNotWriteNamesTheUserTheFileAndTheSetting() {
        PushFacts.QemuUser qemu = new PushFacts.QemuUser(64055, 64055, Set.of(64055), "libvirt-qemu");
        Path t = DIR.resolve("vda.0000.full.qcow2.partial");
        PushFacts f = new PushFacts(DIR, null, null, Map.of(), Map.of(), Map.of(), qemu,
                List.of(new PushFacts.TargetFile(t, 0, 0, 0100600)), 0, 1L << 30, null, Boolean.FALSE);
        assertEquals("domain vm1: its qemu runs as user libvirt-qemu (uid 64055), which may not write " + t
                + " (owner uid 0, group 0, mode 0600), and libvirt did not hand it over: set dynamic_ownership = 1 in"
                + " qemu.conf (libvirt then gives each backup target to qemu's user), or run qemu as root"
                + " (user = \"root\")", PushFailures.beginLine("vm1", URI, QEMU_FAILED, f));
    }

    @Test
    void withDynamicOwnershipOnTheTargetsModeExplainsNothing() {
        PushFacts.QemuUser qemu = new PushFacts.QemuUser(64055, 64055, Set.of(64055), "libvirt-qemu");
        PushFacts f = new PushFacts(DIR, null, null, Map.of(), Map.of(), Map.of(), qemu,
                List.of(new PushFacts.TargetFile(DIR.resolve("vda.0000.full.qcow2.partial"), 0, 0, 0100600)), 0,
                1L << 30, null, Boolean.TRUE);
        assertNull(PushFailures.beginLine("vm1", URI, QEMU_FAILED, f), "libvirt handed the target over and back");
    }

    @Test
    void dynamicOwnershipIsReadFromTheQemuConfOfTheUri(@TempDir Path dir) throws Exception {
        assertEquals(dir.resolve("etc/qemu.conf"), PushFacts.qemuConf("qemu:///embed?root=" + dir));
        assertEquals(Path.of("/etc/libvirt/qemu.conf"), PushFacts.qemuConf("qemu:///system"));
        assertNull(PushFacts.qemuConf("qemu+ssh://host/system"));
        Path conf = dir.resolve("qemu.conf");
        Files.writeString(conf, "user = \"libvirt-qemu\"\n#dynamic_ownership = 0\n");
        assertEquals(Boolean.TRUE, PushFacts.handsOver(conf), "commented out: libvirt's default");
        Files.writeString(conf, "dynamic_ownership = 0\n");
        assertEquals(Boolean.FALSE, PushFacts.handsOver(conf));
        assertNull(PushFacts.handsOver(dir.resolve("missing.conf")));
    }

    @Test
    void permissionBitsAreReadAsTheKernelDoes() {
        PushFacts.QemuUser qemu = new PushFacts.QemuUser(100, 100, Set.of(7), null);
        assertTrue(new PushFacts.TargetFile(DIR, 100, 0, 0600).writableBy(qemu), "owner with w");
        assertFalse(new PushFacts.TargetFile(DIR, 100, 7, 0460).writableBy(qemu), "owner without w, group's w unused");
        assertTrue(new PushFacts.TargetFile(DIR, 0, 7, 0660).writableBy(qemu), "a supplementary group with w");
        assertFalse(new PushFacts.TargetFile(DIR, 0, 0, 0664).writableBy(qemu), "others without w");
        assertTrue(new PushFacts.TargetFile(DIR, 0, 0, 0000).writableBy(new PushFacts.QemuUser(0, 0, Set.of(), "root")));
    }

    @Test
    void aFileSystemThatGivesOurFilesToAnotherUserIsCalledARootSquash() {
        Path t = DIR.resolve("vda.0000.full.qcow2.partial");
        PushFacts f = new PushFacts(DIR, null, null, Map.of(), Map.of(), Map.of(), null,
                List.of(new PushFacts.TargetFile(t, 65534, 65534, 0100600)), 0, 1L << 30, null, Boolean.FALSE);
        assertEquals("domain vm1: /backup/vm1 gives the files virtchain creates to another user"
                + " (vda.0000.full.qcow2.partial belongs to uid 65534 instead of 0), as a root-squashed NFS export"
                + " does, and qemu cannot write them: export it with no_root_squash, or back up into a local directory",
                PushFailures.beginLine("vm1", URI, QEMU_FAILED, f));
    }

    @Test
    void aConfinedQemuKeepsLibvirtsWordsAndSaysWhereToLook() {
        PushFacts f = new PushFacts(DIR, null, null, Map.of(), Map.of(), Map.of(), null, List.of(), 0, -1, "AppArmor",
                Boolean.FALSE);
        assertEquals(QEMU_FAILED.getMessage() + " (qemu of vm1 is confined by AppArmor: if the kernel log shows a"
                + " denial for /backup/vm1, allow that directory in vm1's profile or back up into one it allows)",
                PushFailures.beginLine("vm1", URI, QEMU_FAILED, f));
    }

    @Test
    void aFailureNothingExplainsKeepsLibvirtsWords() {
        assertSame(QEMU_FAILED, PushFailures.begin("vm1", URI, QEMU_FAILED, with(new DomainState(1, 1), null,
                Map.of())));
    }

    @Test
    void aJobThatFailedOnAFullTargetSaysTheTargetIsFull() {
        PushFacts f = new PushFacts(DIR, new DomainState(1, 1), null, Map.of(), Map.of(), Map.of(), null, List.of(),
                0, 8192, null, Boolean.FALSE);
        assertEquals("backup job of vm1 failed: the file system of /backup/vm1 is full (8 KiB free): free space"
                + " there, or back up into a directory with room for the disks' data",
                PushFailures.jobLine("vm1", new JobStats(JobStats.Type.FAILED, 9, 0, 0, 0, "No space left on device"), f));
        assertNull(PushFailures.jobLine("vm1", new JobStats(JobStats.Type.FAILED, 9, 0, 0, 0, "x"),
                with(new DomainState(1, 1), null, Map.of())), "a job failing with room left keeps libvirt's words");
    }

    @Test
    void aDomainPausedByAnIoErrorNamesTheDiskAndWhatToDo() {
        DomainState paused = new DomainState(DomainState.PAUSED, DomainState.PAUSED_IOERROR);
        assertEquals("domain vm1 is paused after an I/O error on disk vda (no space left on its storage): make room"
                + " for (or repair) the storage of its disk images, then resume it (virsh resume vm1)",
                PushFailures.ioErrorPause("vm1", paused, Map.of("vda", 2)));
        assertEquals("domain vm1 is paused after an I/O error on a disk: make room for (or repair) the storage of its"
                + " disk images, then resume it (virsh resume vm1)", PushFailures.ioErrorPause("vm1", paused, Map.of()));
        assertNull(PushFailures.ioErrorPause("vm1", new DomainState(DomainState.PAUSED, 1), Map.of()), "paused by a user");
    }

    @Test
    void qemusCredentialsAreReadFromItsProcStatus(@TempDir Path dir) throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tqemu-system-x86\nUid:\t0\t64055\t64055\t64055\n"
                + "Gid:\t0\t64055\t64055\t64055\nGroups:\t64055 104 \n");
        PushFacts.QemuUser q = PushFacts.qemuUser(status);
        assertEquals(64055, q.uid(), "the effective uid");
        assertEquals(64055, q.gid());
        assertEquals(Set.of(64055, 104), q.groups());
    }

    @Test
    void theQcow2VersionOfADiskIsReadFromItsHeader(@TempDir Path dir) {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "old.qcow2", "1M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "new.qcow2", "1M");
        Qemu.img(dir, "create", "-q", "-f", "raw", "disk.raw", "1M");
        assertEquals(2, PushFacts.qcowVersion(dir.resolve("old.qcow2").toString()));
        assertEquals(3, PushFacts.qcowVersion(dir.resolve("new.qcow2").toString()));
        assertEquals(0, PushFacts.qcowVersion(dir.resolve("disk.raw").toString()));
        assertEquals(0, PushFacts.qcowVersion(dir.resolve("missing.qcow2").toString()));
    }

    @Test
    void aLabelOnlyCountsWhereTheHostEnforcesIt() throws Exception {
        String xml = "<domain><name>vm1</name><seclabel type='dynamic' model='selinux' relabel='yes'/></domain>";
        Path enforce = Path.of("/sys/fs/selinux/enforce");
        boolean enforcing = Files.isRegularFile(enforce) && Files.readString(enforce).strip().equals("1");
        assertEquals(enforcing ? "SELinux" : null, PushFacts.confinement(xml));
        assertNull(PushFacts.confinement("<domain><seclabel type='none' model='apparmor'/></domain>"));
        assertNull(PushFacts.confinement("<domain><name>vm1</name></domain>"));
    }
}
