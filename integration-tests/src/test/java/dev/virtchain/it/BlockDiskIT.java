package dev.virtchain.it;

import static dev.virtchain.it.BackupDirs.chain;
import static dev.virtchain.it.BackupDirs.checkpointDisks;
import static dev.virtchain.it.BackupDirs.listDir;
import static dev.virtchain.it.BackupDirs.targets;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A domain with a raw block-device disk beside a qcow2 file, as LVM-backed hosts have: vda a
 * qcow2 file, vdb a loop device (raw). A raw disk cannot carry dirty bitmaps, so it is backed up
 * in full and copy backups only: the checkpoint leaves it untracked, an inc is refused naming
 * it, auto takes a full saying why; restore turns it into a file; shut off, a copy reads the
 * device natively. All content is judged by qemu-img against the device itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BlockDiskIT {
    static final long SIZE = 16L << 20;
    static final String INSTALL = "apt-get update && apt-get install -y mount";

    @TempDir
    static Path shared;
    static Path device;
    static CliGuest vm;
    static Hypervisor hv;
    static Path out;

    @BeforeAll
    static void start() throws Exception {
        HostRequirements.requireToolsFor("the block device test", INSTALL, "losetup");
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("the block device test attaches a loop device, which needs root");
        }
        Path backingFile = shared.resolve("vdb.img");
        Qemu.img(shared, "create", "-q", "-f", "raw", backingFile.toString(), Long.toString(SIZE));
        Qemu.Result r = Qemu.run(shared, "losetup", "--find", "--show", backingFile.toString());
        assertEquals(0, r.exitCode(), () -> "losetup: " + r.stderr());
        device = Path.of(r.stdout().strip());
        vm = CliGuest.start(shared, "vc-block", 1, SIZE, Map.of("vdb", device));
        hv = vm.hv;
        vm.io.io("vda", "write -P 0x11 0 1M");
        vm.io.io("vdb", "write -P 0x21 2M 3M");
        out = shared.resolve("backup");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (vm != null) {
                vm.close();
            }
        } finally {
            if (device != null) {
                Qemu.run(shared, "losetup", "-d", device.toString());
            }
        }
    }

    @Test
    @Order(1)
    void aFullBacksUpTheBlockDiskAndItsCheckpointLeavesItUntracked() throws Exception {
        String vdb = Domain.parse(hv.domainXml(vm.name())).disks().stream()
                .filter(d -> "vdb".equals(d.targetDev())).findFirst().orElseThrow().source();
        assertTrue(Files.isSameFile(device, Path.of(vdb)), "vdb is the loop device: " + vdb);
        JsonNode full = vm.backup(out, "-l", "full"); // compares each backup with its source, the device for vdb
        assertEquals(List.of("vda", "vdb"), targets(full));
        assertEquals(List.of(List.of("vda"), List.of("vdb")),
                checkpointDisks(hv.checkpointXml(vm.name(), full.get("checkpoint").asText())),
                "vda tracked by a bitmap, vdb (raw) not");
        assertTrue(full.get("warnings").toString().contains("crash-consistent"), full.toString());
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(2)
    void anIncIsRefusedNamingTheRawDiskAndChangesNothing() throws Exception {
        vm.io.io("vda", "write -P 0x12 4M 64k");
        byte[] manifest = Files.readAllBytes(out.resolve("virtchain.json"));
        List<String> files = listDir(out);
        List<String> checkpoints = hv.checkpointNames(vm.name());
        CliDriver.Result inc = vm.run(out, "-l", "inc");
        assertEquals(1, inc.exitCode(), inc::toString);
        String err = inc.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.contains("raw source disks allow only full and copy backups: vdb is raw"), err);
        assertTrue(err.contains("leave vdb out"), "says what to do: " + err);
        assertArrayEquals(manifest, Files.readAllBytes(out.resolve("virtchain.json")));
        assertEquals(files, listDir(out));
        assertEquals(checkpoints, hv.checkpointNames(vm.name()));
    }

    @Test
    @Order(3)
    void autoTakesAFullAndSaysWhy() throws Exception {
        vm.io.io("vdb", "write -P 0x22 8M 64k");
        JsonNode auto = vm.backup(out, "-l", "auto");
        assertEquals("full", auto.get("level").asText(), auto.toString());
        assertEquals(1, auto.get("seq").asInt());
        assertTrue(auto.get("warnings").toString().contains("raw source disks allow only full and copy backups"),
                auto.toString());
        for (String t : List.of("vda", "vdb")) {
            assertEquals(List.of(t + ".0001.full.qcow2"), chain(out, t + ".0001.full.qcow2"));
        }
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(4)
    void restoreMakesTheBlockDiskAFile() throws Exception {
        Path restored = shared.resolve("restored");
        CliDriver.Result r = CliDriver.inProcess().run("restore", out.toString(), "-o", restored.toString(), "--name", "vc-back");
        assertEquals(0, r.exitCode(), r::toString);
        BackupDirs.assertSameContent(shared, restored.resolve("vdb.qcow2"), out.resolve("vdb.0001.full.qcow2"));
        BackupDirs.assertSameContent(shared, restored.resolve("vda.qcow2"), out.resolve("vda.0001.full.qcow2"));
        BackupDirs.assertImagesClean(restored);
        DomainDisk vdb = Domain.parse(Files.readString(restored.resolve("vc-back.xml"))).disks().stream()
                .filter(d -> "vdb".equals(d.targetDev())).findFirst().orElseThrow();
        assertEquals(restored.resolve("vdb.qcow2").toAbsolutePath().toString(), vdb.source());
        String xml = Files.readString(restored.resolve("vc-back.xml"));
        assertFalse(xml.contains(device.toString()), "the restored domain does not use the device: " + xml);
    }

    @Test
    @Order(5)
    void shutOffACopyReadsTheDeviceNatively(@TempDir Path copyDir) throws Exception {
        vm.io.io("vdb", "write -P 0x23 12M 1M");
        hv.destroy(vm.name());
        CliDriver.Result c = vm.run(copyDir, "-l", "copy");
        assertEquals(0, c.exitCode(), c::toString);
        assertEquals(List.of("vda", "vdb"), targets(c.json()));
        BackupDirs.assertSameContent(copyDir, copyDir.resolve("vdb.0000.copy.qcow2"), device);
        BackupDirs.assertSameContent(copyDir, copyDir.resolve("vda.0000.copy.qcow2"), vm.source("vda"));
        BackupDirs.assertConsistent(copyDir);
    }
}
