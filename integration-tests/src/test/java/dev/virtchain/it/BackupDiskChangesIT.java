package dev.virtchain.it;

import static dev.virtchain.it.BackupDirs.chain;
import static dev.virtchain.it.BackupDirs.checkpointDisks;
import static dev.virtchain.it.BackupDirs.storedInTop;
import static dev.virtchain.it.BackupDirs.targets;
import static dev.virtchain.it.BackupDirs.virtualSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running guest's disks changing between backups, through the CLI: a disk grown with
 * blockresize, and a disk hot-plugged (live and config). In order: the second test's domain has
 * the first one's bigger vda. 8 embedded connections in all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupDiskChangesIT {
    static final long SIZE = 16L << 20;
    static final long K = 1024;
    static final long M = 1024 * K;

    @TempDir
    static Path shared;
    static CliGuest vm;

    @BeforeAll
    static void start() throws Exception {
        vm = CliGuest.start(shared, "vc-changes", 2, SIZE);
        vm.io.io("vda", "write -P 0x11 0 1M");
        vm.io.io("vdb", "write -P 0x21 4M 512k");
    }

    @AfterAll
    static void stop() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    @Test
    @Order(1)
    void aResizedDiskContinuesItsChainAtItsNewSize(@TempDir Path out) throws Exception {
        assertEquals("full", vm.backup(out).get("level").asText());

        long bigger = SIZE + 8 * M;
        DomainEdits.blockResize(vm.uri, vm.name(), "vda", bigger);
        assertEquals(bigger, virtualSize(vm.vm, vm.source("vda").toString()));
        vm.io.io("vda", "write -P 0x15 20M 128k"); // in the grown part
        vm.io.io("vda", "write -P 0x16 1M 64k");

        JsonNode inc = vm.backup(out);
        assertEquals("inc", inc.get("level").asText());
        assertEquals(List.of("vda.0001.inc.qcow2", "vda.0000.full.qcow2"), chain(out, "vda.0001.inc.qcow2"));
        assertEquals(bigger, virtualSize(out, "vda.0001.inc.qcow2"));
        assertEquals(SIZE, virtualSize(out, "vda.0000.full.qcow2"), "the full keeps the old size");
        assertEquals(bigger, BackupDirs.disk(out, 1, "vda").get("virtualSize").asLong());
        assertEquals(bigger, inc.get("disks").get(0).get("virtual-size").asLong());
        assertEquals(SIZE, BackupDirs.disk(out, 1, "vdb").get("virtualSize").asLong());
        assertEquals(3 * 64 * K, storedInTop(out, "vda.0001.inc.qcow2"));
        assertTrue(inc.get("warnings").toString().contains("resized"), inc.toString());
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(2)
    void anAddedDiskGetsAFullCopyInTheNextInc(@TempDir Path out) throws Exception {
        JsonNode full = vm.backup(out);
        assertEquals(List.of("vda", "vdb"), targets(full));

        Path vdc = vm.source("vdc");
        Qemu.img(vm.vm, "create", "-q", "-f", "qcow2", vdc.toString(), Long.toString(SIZE));
        DomainEdits.attachDisk(vm.uri, vm.name(), vdc, "vdc");
        vm.io.io("vdc", "write -P 0x31 0 256k");
        vm.io.io("vda", "write -P 0x17 6M 64k");

        JsonNode inc = vm.backup(out);
        assertEquals("inc", inc.get("level").asText());
        assertEquals(List.of("vda", "vdb", "vdc"), targets(inc));
        JsonNode c = BackupDirs.disk(out, 1, "vdc");
        assertEquals("full", c.get("mode").asText(), "a new disk has no bitmap to start from: " + c);
        assertTrue(c.get("backingFile").isNull(), c.toString());
        assertEquals(List.of("vdc.0001.inc.qcow2"), chain(out, "vdc.0001.inc.qcow2"));
        assertEquals(256 * K, c.get("bytesWritten").asLong());
        for (String t : List.of("vda", "vdb")) {
            assertEquals("incremental", BackupDirs.disk(out, 1, t).get("mode").asText());
            assertEquals(List.of(t + ".0001.inc.qcow2", t + ".0000.full.qcow2"), chain(out, t + ".0001.inc.qcow2"));
        }
        assertEquals(64 * K, storedInTop(out, "vda.0001.inc.qcow2"));
        assertEquals(0, storedInTop(out, "vdb.0001.inc.qcow2"));
        assertTrue(inc.get("warnings").toString().contains("vdc"), inc.toString());
        assertEquals(List.of(List.of("vda", "vdb", "vdc"), List.of()),
                checkpointDisks(vm.hv.checkpointXml(vm.name(), inc.get("checkpoint").asText())));

        // From now on vdc has a chain of its own.
        vm.io.io("vdc", "write -P 0x32 8M 64k");
        JsonNode inc2 = vm.backup(out);
        assertEquals(3, inc2.get("disks").size());
        assertEquals(List.of("vdc.0002.inc.qcow2", "vdc.0001.inc.qcow2"), chain(out, "vdc.0002.inc.qcow2"));
        assertEquals("incremental", BackupDirs.disk(out, 2, "vdc").get("mode").asText());
        assertEquals(64 * K, storedInTop(out, "vdc.0002.inc.qcow2"));
        BackupDirs.assertConsistent(out);
    }

    /**
     * Restore writes a definition, not the running domain's XML: it starts from the inactive
     * definition kept with the backup, so runtime state (id, aliases, source indexes, the label
     * of a dynamic seclabel) is gone, and a disk attached to the running domain only is restored
     * but left out of the XML with a warning that says how to attach it.
     */
    @Test
    @Order(3)
    void restoreBuildsTheDomainXmlFromTheDefinitionAndWarnsOfALiveOnlyDisk(@TempDir Path out, @TempDir Path to)
            throws Exception {
        Path vdd = vm.source("vdd");
        Qemu.img(vm.vm, "create", "-q", "-f", "qcow2", vdd.toString(), Long.toString(SIZE));
        DomainEdits.attachDiskLiveOnly(vm.uri, vm.name(), vdd, "vdd");
        vm.io.io("vdd", "write -P 0x41 0 128k");
        JsonNode full = vm.backup(out);
        assertTrue(targets(full).contains("vdd"), full.toString());
        String live = Files.readString(out.resolve("domain.0000.xml"));
        String inactive = Files.readString(out.resolve("domain.0000.inactive.xml"));
        assertTrue(live.contains("dev='vdd'") && live.contains("<alias "), live);
        assertFalse(inactive.contains("dev='vdd'") || inactive.contains("<alias "), inactive);

        CliDriver.Result r = CliDriver.inProcess().run("restore", out.toString(), "-o", to.toString());
        assertEquals(0, r.exitCode(), r::toString);
        String name = vm.name() + "-restored-0";
        assertEquals("virtchain: warning: vdd was attached to the running domain only, not to its definition: the "
                + "domain XML leaves it out; attach it with virsh attach-disk " + name + " "
                + to.resolve("vdd.qcow2").toAbsolutePath() + " vdd --subdriver qcow2 --config", r.stderr().strip(),
                r::toString);
        assertTrue(Files.isRegularFile(to.resolve("vdd.qcow2")), "vdd is restored all the same");
        for (String t : List.of("vda", "vdb", "vdc", "vdd")) {
            Qemu.assertClean(to.resolve(t + ".qcow2"));
        }
        String xml = Files.readString(to.resolve(name + ".xml"));
        assertFalse(xml.matches("(?s).*<source [^>]*index=.*"), "source indexes in the restored XML:\n" + xml);
        for (String runtime : List.of("<alias ", "<domain type=\"kvm\" id=", "<domain type='kvm' id=",
                "dev=\"vdd\"", "dev='vdd'")) {
            assertFalse(xml.contains(runtime), runtime + " in the restored XML:\n" + xml);
        }
        for (String t : List.of("vda", "vdb", "vdc")) {
            assertTrue(xml.contains(to.resolve(t + ".qcow2").toAbsolutePath().toString()), t + ":\n" + xml);
        }
        BackupDirs.assertImagesClean(out);
        BackupDirs.assertImagesClean(to);
    }
}
