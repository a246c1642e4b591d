package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.libvirt.DomainState;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;
import org.libvirt.TypedUlongParameter;

/**
 * The ways push mode fails that this host can produce, each against real libvirt 9.0 and qemu 7.2
 * (one embedded root, qemu as root), and the one line virtchain prints for each (PushFailures): a
 * qcow2 version 2 disk (no persistent bitmaps), a disk busy with a block copy, a target file system
 * that runs full during the job, and a domain an I/O error paused. Each failed run leaves nothing:
 * no file, no checkpoint. qemu's user that may not write the targets is QemuUserIT (another qemu.conf).
 */
class PushFailuresIT {
    @TempDir
    static Path dir;
    static EmbeddedLibvirt env;
    static Hypervisor hv;

    @BeforeAll
    static void connect() throws Exception {
        env = EmbeddedLibvirt.start(dir.resolve("libvirt"));
        hv = env.hypervisor();
    }

    @AfterAll
    static void close() throws Exception {
        if (env != null) {
            env.close();
        }
    }

    private static CliDriver.Result backup(String domain, Path out, String... options) {
        List<String> args = new java.util.ArrayList<>(List.of("backup", "-c", hv.uri(), "-d", domain, "-o",
                out.toString(), "--no-freeze"));
        args.addAll(List.of(options));
        return CliDriver.inProcess().run(args.toArray(String[]::new));
    }

    /** The error lines (not warnings) the run printed. */
    private static List<String> errors(CliDriver.Result r) {
        return r.stderr().lines().filter(l -> l.startsWith("virtchain: ") && !l.startsWith("virtchain: warning: "))
                .toList();
    }

    private static List<String> warnings(CliDriver.Result r) {
        return r.stderr().lines().filter(l -> l.startsWith("virtchain: warning: ")).toList();
    }

    /** A failed run left no backup file, no manifest and no checkpoint. */
    private static void assertNothingLeft(String domain, Path out) throws Exception {
        try (var files = Files.list(out)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                    .filter(n -> n.contains(".qcow2") || n.equals("virtchain.json")).toList());
        }
        assertEquals(List.of(), hv.checkpointNames(domain));
    }

    private static void destroy(String name) {
        try {
            if (hv.isActive(name)) {
                hv.destroy(name);
            }
            hv.undefine(name);
        } catch (HypervisorException e) {
            // gone already
        }
    }

    @Test
    void aQcow2Version2DiskSaysItCannotHoldBitmapsAndWithoutItTheBackupGoesThrough() throws Exception {
        Path vm = Files.createDirectories(dir.resolve("v2"));
        TestGuest g = TestGuest.create(vm, "vc-pf-v2", 2, 16L << 20);
        Path old = g.disk("vdb");
        Qemu.img(vm, "amend", "-f", "qcow2", "-o", "compat=0.10", old.toString());
        hv.define(g.domainXml());
        hv.start(g.name(), false);
        try {
            Path out = dir.resolve("v2-backup");
            CliDriver.Result r = backup(g.name(), out, "-l", "full");
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(List.of("virtchain: domain vc-pf-v2: disk vdb (" + old + ") is a qcow2 version 2 image"
                    + " (compat=0.10), which cannot hold the persistent bitmap a checkpoint needs: upgrade it while"
                    + " vc-pf-v2 is shut off (qemu-img amend -f qcow2 -o compat=1.1 " + old + "), leave it out"
                    + " (--exclude vdb), or make copies of it (-l copy)"), errors(r), r.toString());
            assertNothingLeft(g.name(), out);

            CliDriver.Result without = backup(g.name(), out, "-l", "full", "--exclude", "vdb");
            assertEquals(0, without.exitCode(), without.toString());
            BackupDirs.assertImagesClean(out);
        } finally {
            destroy(g.name());
        }
    }

    @Test
    void aDiskBusyWithABlockCopyNamesTheDiskAndTheJobAndBacksUpOnceItIsAborted() throws Exception {
        TestGuest g = env.startGuest(Files.createDirectories(dir.resolve("copy")), "vc-pf-copy", 1, 16L << 20);
        Path out = dir.resolve("copy-backup");
        // A second connection of this process to the same embedded root: libvirt-java's block copy,
        // which the Hypervisor interface has no use for. A copy job stays on its disk until it is
        // pivoted or aborted.
        Connect c = new Connect(hv.uri());
        try {
            Domain d = c.domainLookupByName(g.name());
            // A flag libvirt does not know, as an older libvirt meets one of ours: VIR_ERR_INVALID_ARG
            // from the qemu driver, which PushFailures turns into "upgrade libvirt" (PushFailuresTest).
            LibvirtException refused = assertThrows(LibvirtException.class,
                    () -> d.backupBegin("<domainbackup/>", null, 0x80));
            assertEquals(Error.ErrorNumber.VIR_ERR_INVALID_ARG, refused.getError().getCode(), refused.toString());
            assertEquals(Error.ErrorDomain.VIR_FROM_QEMU, refused.getError().getDomain(), refused.toString());
            d.blockCopy("vda", "<disk type='file'><source file='" + dir.resolve("copy/vda.copy.qcow2")
                    + "'/><driver type='qcow2'/></disk>",
                    new TypedParameter[] {new TypedUlongParameter("bandwidth", 1L << 30)}, 4 /* TRANSIENT_JOB */);
            assertEquals(2, hv.blockJob(g.name(), "vda"), "a copy job runs on vda");

            CliDriver.Result r = backup(g.name(), out, "-l", "full");
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(List.of("virtchain: domain vc-pf-copy: disk vda is busy with a block job (copy), and libvirt"
                    + " runs one job per disk: wait for it to end (virsh blockjob vc-pf-copy vda --info) or abort it"
                    + " (virsh blockjob vc-pf-copy vda --abort), then back up again"), errors(r), r.toString());
            assertNothingLeft(g.name(), out);

            d.blockJobAbort("vda", 0);
            long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (hv.blockJob(g.name(), "vda") != 0 && System.nanoTime() < giveUp) {
                Thread.sleep(100);
            }
            d.free();
        } finally {
            c.close();
        }
        CliDriver.Result ok = backup(g.name(), out, "-l", "full");
        assertEquals(0, ok.exitCode(), ok.toString());
        BackupDirs.assertImagesClean(out);
        env.stopGuests();
    }

    @Test
    void aTargetThatRunsFullDuringTheJobSaysSoAndKeepsNothing() throws Exception {
        HostRequirements.requireToolsFor("PushFailuresIT", "apt-get install -y mount", "mount", "umount");
        Path small = Files.createDirectories(dir.resolve("small"));
        // Mounted before the domain starts, so that qemu's mount namespace has it.
        assertEquals(0, HostRequirements.run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString()));
        try {
            TestGuest g = env.startGuest(Files.createDirectories(dir.resolve("full")), "vc-pf-full", 1, 32L << 20);
            new GuestDisks(hv, g.name()).io("vda", "write -P 0x5c 0 8M");
            Path out = small.resolve("backup");
            CliDriver.Result r = backup(g.name(), out, "-l", "full");
            assertEquals(1, r.exitCode(), r.toString());
            List<String> errors = errors(r);
            assertEquals(1, errors.size(), r.toString());
            assertTrue(Pattern.matches(Pattern.quote("virtchain: backup job of vc-pf-full failed: the file system of "
                    + out + " is full (") + "\\d+" + Pattern.quote(" KiB free): free space there, or back up into a"
                    + " directory with room for the disks' data; its files and checkpoint were deleted, nothing was"
                    + " recorded"), errors.get(0)), errors.get(0));
            assertNothingLeft(g.name(), out);
            env.stopGuests();
        } finally {
            HostRequirements.run("umount", small.toString());
        }
    }

    @Test
    void aDomainAnIoErrorPausedIsBackedUpWithAWarningSayingWhatToDo() throws Exception {
        HostRequirements.requireToolsFor("PushFailuresIT", "apt-get install -y mount", "mount", "umount");
        Path kernel = KernelGuest.buildKernel();
        Path tiny = Files.createDirectories(dir.resolve("tiny"));
        assertEquals(0, HostRequirements.run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.toString()));
        String name = "vc-pf-ioerror";
        try {
            // Its disk lives on a 1 MiB file system: the guest's random writes soon find no room, and
            // with error_policy='stop' qemu pauses the guest (libvirt: paused, reason ioerror).
            KernelGuest g = KernelGuest.create(tiny, name, kernel, 64L << 20);
            String xml = g.domainXml("vc.do=writer vc.interval=0", dir.resolve("ioerror-console.log"))
                    .replaceAll("<driver name=(['\"])qemu\\1 type=(['\"])qcow2\\2\\s*/>",
                            "<driver name='qemu' type='qcow2' error_policy='stop'/>");
            assertTrue(xml.contains("error_policy"), xml);
            hv.define(xml);
            hv.start(name, false);
            long giveUp = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!hv.state(name).pausedByIoError() && System.nanoTime() < giveUp) {
                Thread.sleep(200);
            }
            DomainState s = hv.state(name);
            assertTrue(s.pausedByIoError(), s + "; console: " + Files.readString(dir.resolve("ioerror-console.log")));
            assertEquals(java.util.Map.of("vda", 2), hv.diskErrors(name), "libvirt says: no space");

            Path out = dir.resolve("ioerror-backup");
            CliDriver.Result r = backup(g.name(), out, "-l", "full");
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(warnings(r).contains("virtchain: warning: domain vc-pf-ioerror is paused after an I/O error on"
                    + " disk vda (no space left on its storage): make room for (or repair) the storage of its disk"
                    + " images, then resume it (virsh resume vc-pf-ioerror); the backup holds its disks as they were"
                    + " when it paused"), r.toString());
            BackupDirs.assertImagesClean(out);
        } finally {
            destroy(name);
            HostRequirements.run("umount", tiny.toString());
        }
    }
}
