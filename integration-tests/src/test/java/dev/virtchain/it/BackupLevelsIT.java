package dev.virtchain.it;

import static dev.virtchain.it.BackupDirs.chain;
import static dev.virtchain.it.BackupDirs.checkpointDisks;
import static dev.virtchain.it.BackupDirs.listDir;
import static dev.virtchain.it.BackupDirs.storedInTop;
import static dev.virtchain.it.BackupDirs.targets;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain backup}'s levels and disk choice through the CLI on one two-disk TCG guest,
 * each test with a backup directory of its own: auto, copy and the --json summary;
 * --include and --exclude; and the domain shut off (copy natively, full refused, --start-paused).
 * In order, because the last one shuts the domain off. 13 embedded connections in all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupLevelsIT {
    static final long SIZE = 16L << 20;
    static final long K = 1024;
    static final long M = 1024 * K;

    @TempDir
    static Path shared;
    static CliGuest vm;
    static Hypervisor hv;

    @BeforeAll
    static void start() throws Exception {
        vm = CliGuest.start(shared, "vc-levels", 2, SIZE);
        hv = vm.hv;
        vm.io.io("vda", "write -P 0x11 0 1M");
        vm.io.io("vdb", "write -P 0x21 4M 512k");
    }

    @AfterAll
    static void stop() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    static List<String> names(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    @Test
    @Order(1)
    void autoIsFullThenIncAndACopyStandsAside(@TempDir Path out) throws Exception {
        JsonNode full = vm.backup(out, "-l", "auto");
        assertEquals("full", full.get("level").asText(), full.toString());
        assertEquals(0, full.get("seq").asInt());

        // The --json summary: its fields, in order, and what they say.
        assertEquals(List.of("domain", "dir", "seq", "level", "time", "checkpoint", "parent", "disks", "seconds",
                "warnings"), names(full.fieldNames()));
        assertEquals(vm.name(), full.get("domain").asText());
        assertEquals(out.toAbsolutePath().toString(), full.get("dir").asText());
        JsonNode m0 = BackupDirs.backup(out, 0);
        assertEquals(m0.get("time").asText(), full.get("time").asText());
        Instant.parse(full.get("time").asText());
        assertEquals(m0.get("checkpoint").asText(), full.get("checkpoint").asText());
        assertEquals("virtchain." + BackupDirs.manifest(out).get("setId").asText() + ".0000",
                full.get("checkpoint").asText());
        assertTrue(full.get("parent").isNull(), full.toString());
        assertTrue(full.get("seconds").isNumber() && full.get("seconds").asDouble() > 0, full.toString());
        // This guest has no agent to freeze it (and is paused): one warning, and the backup goes on.
        assertEquals(1, full.get("warnings").size(), full.toString());
        assertTrue(full.get("warnings").get(0).asText().contains("crash-consistent"), full.toString());
        assertEquals(List.of("vda", "vdb"), targets(full));
        for (JsonNode d : full.get("disks")) {
            String t = d.get("target").asText();
            assertEquals(List.of("target", "file", "backing-file", "virtual-size", "bytes-written", "mode", "crc32c"),
                    names(d.fieldNames()));
            JsonNode md = BackupDirs.disk(out, 0, t);
            assertEquals(t + ".0000.full.qcow2", d.get("file").asText());
            assertTrue(d.get("backing-file").isNull());
            assertEquals(SIZE, d.get("virtual-size").asLong());
            assertEquals("full", d.get("mode").asText());
            assertEquals(md.get("bytesWritten").asLong(), d.get("bytes-written").asLong());
            assertEquals(BackupDirs.crc32c(out.resolve(d.get("file").asText())), d.get("crc32c").asText());
            assertEquals("crc32c", md.get("checksum").get("algorithm").asText());
            assertEquals(md.get("checksum").get("value").asText(), d.get("crc32c").asText());
        }
        assertEquals(M, full.get("disks").get(0).get("bytes-written").asLong(), "vda holds 1 MiB of data");
        assertEquals(512 * K, full.get("disks").get(1).get("bytes-written").asLong(), "vdb holds 512 KiB of data");
        List<String> checkpoints = hv.checkpointNames(vm.name());
        assertEquals(List.of(full.get("checkpoint").asText()), checkpoints);

        // A copy: a standalone file of every disk, no checkpoint made, libvirt's left as they were.
        vm.io.io("vda", "write -P 0x12 2M 64k");
        List<String> checkpointFiles = listDir(out.resolve("checkpoints"));
        JsonNode copy = vm.backup(out, "-l", "copy");
        assertEquals("copy", copy.get("level").asText());
        assertEquals(1, copy.get("seq").asInt());
        assertTrue(copy.get("checkpoint").isNull(), copy.toString());
        assertTrue(copy.get("parent").isNull(), copy.toString());
        assertEquals(checkpoints, hv.checkpointNames(vm.name()), "a copy creates no checkpoint and deletes none");
        assertEquals(checkpointFiles, listDir(out.resolve("checkpoints")));
        for (String t : List.of("vda", "vdb")) {
            String file = t + ".0001.copy.qcow2";
            assertEquals(List.of(file), chain(out, file), "a copy stands alone");
            assertEquals("full", BackupDirs.disk(out, 1, t).get("mode").asText());
        }

        // auto again: an inc on the chain's last backup, the full; the copy stands outside the chain.
        vm.io.io("vda", "write -P 0x13 3M 64k");
        vm.io.io("vdb", "discard 4M 64k");
        JsonNode inc = vm.backup(out, "-l", "auto", "--checksum", "sha256");
        assertEquals("inc", inc.get("level").asText());
        assertEquals(2, inc.get("seq").asInt());
        // Asked for sha256: recorded as such, and it is the file's sha256 (coreutils' word for it).
        for (JsonNode d : inc.get("disks")) {
            assertEquals(BackupDirs.sha256sum(out.resolve(d.get("file").asText())), d.get("sha256").asText());
            assertEquals("sha256", BackupDirs.disk(out, 2, d.get("target").asText()).get("checksum").get("algorithm")
                    .asText());
        }
        assertEquals(0, inc.get("parent").asInt());
        for (String t : List.of("vda", "vdb")) {
            assertEquals(List.of(t + ".0002.inc.qcow2", t + ".0000.full.qcow2"), chain(out, t + ".0002.inc.qcow2"));
        }
        // Everything since the full: vda 2M and 3M (the copy reset no bitmap), vdb's discard at 4M.
        assertEquals(2 * 64 * K, storedInTop(out, "vda.0002.inc.qcow2"));
        assertEquals(64 * K, storedInTop(out, "vdb.0002.inc.qcow2"));
        assertEquals(List.of(full.get("checkpoint").asText(), inc.get("checkpoint").asText()), hv.checkpointNames(vm.name()));
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(2)
    void includeBacksUpOnlyTheChosenDisk(@TempDir Path out) throws Exception {
        List<String> vmFiles = listDir(vm.vm);
        JsonNode full = vm.backup(out, "-l", "full", "--include", "vdb");
        assertEquals(List.of("vdb"), targets(full));
        String cp = full.get("checkpoint").asText();
        // This new set's full retires the other set's checkpoints, saying so.
        assertEquals(List.of(cp), hv.checkpointNames(vm.name()));
        assertTrue(full.get("warnings").toString().contains("another virtchain backup set"), full.toString());
        assertEquals(List.of(List.of("vdb"), List.of("vda")), checkpointDisks(hv.checkpointXml(vm.name(), cp)),
                "libvirt's checkpoint tracks vdb only");
        assertEquals(List.of(List.of("vdb"), List.of("vda")),
                checkpointDisks(Files.readString(out.resolve("checkpoints/" + cp + ".xml"))));
        // vda was backup='no': libvirt wrote no backup of it anywhere, not even next to its source.
        assertEquals(vmFiles, listDir(vm.vm));
        BackupDirs.assertNoFile(out, "vda.*");

        vm.io.io("vda", "write -P 0x14 5M 64k");
        vm.io.io("vdb", "write -P 0x22 6M 128k");
        JsonNode inc = vm.backup(out, "--include", "vdb");
        assertEquals("inc", inc.get("level").asText());
        assertEquals(List.of("vdb"), targets(inc));
        assertEquals(List.of("vdb.0001.inc.qcow2", "vdb.0000.full.qcow2"), chain(out, "vdb.0001.inc.qcow2"));
        assertEquals(128 * K, storedInTop(out, "vdb.0001.inc.qcow2"));
        assertEquals(List.of(List.of("vdb"), List.of("vda")),
                checkpointDisks(hv.checkpointXml(vm.name(), inc.get("checkpoint").asText())));
        assertEquals(vmFiles, listDir(vm.vm));
        BackupDirs.assertNoFile(out, "vda.*");
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(3)
    void excludeLeavesTheDiskOut(@TempDir Path out) throws Exception {
        List<String> vmFiles = listDir(vm.vm);
        JsonNode full = vm.backup(out, "--exclude", "vdb");
        assertEquals("full", full.get("level").asText());
        assertEquals(List.of("vda"), targets(full));
        String cp = full.get("checkpoint").asText();
        assertEquals(List.of(cp), hv.checkpointNames(vm.name()));
        assertEquals(List.of(List.of("vda"), List.of("vdb")), checkpointDisks(hv.checkpointXml(vm.name(), cp)));

        vm.io.io("vda", "write -z 0 64k");
        vm.io.io("vdb", "write -P 0x23 7M 64k");
        JsonNode inc = vm.backup(out, "--exclude", "vdb");
        assertEquals(List.of("vda"), targets(inc));
        assertEquals(List.of("vda.0001.inc.qcow2", "vda.0000.full.qcow2"), chain(out, "vda.0001.inc.qcow2"));
        assertEquals(64 * K, storedInTop(out, "vda.0001.inc.qcow2"));
        assertEquals(vmFiles, listDir(vm.vm));
        BackupDirs.assertNoFile(out, "vdb.*");
        BackupDirs.assertConsistent(out);
    }

    @Test
    @Order(4)
    void aShutOffDomain(@TempDir Path out) throws Exception {
        hv.destroy(vm.name());
        assertFalse(hv.isActive(vm.name()));
        List<String> disks = List.of("vda", "vdb");
        Path log = vm.env.root().resolve("log/qemu/" + vm.name() + ".log");
        assertTrue(Files.isRegularFile(log), log + ": qemu's log, one block per start");
        String logBefore = Files.readString(log);

        // copy: read natively from the images; qemu is not started.
        CliDriver.Result c = vm.run(out, "-l", "copy");
        assertEquals(0, c.exitCode(), c::toString);
        JsonNode copy = c.json();
        assertEquals("copy", copy.get("level").asText());
        assertEquals(disks, targets(copy));
        assertFalse(hv.isActive(vm.name()));
        assertEquals(logBefore, Files.readString(log), "qemu was not started for a copy");
        for (String t : disks) {
            assertEquals(List.of(t + ".0000.copy.qcow2"), chain(out, t + ".0000.copy.qcow2"));
            BackupDirs.assertSameContent(out, out.resolve(t + ".0000.copy.qcow2"), vm.source(t));
        }

        // full needs a running domain: one clear line, exit 1, nothing written.
        byte[] manifest = Files.readAllBytes(out.resolve("virtchain.json"));
        List<String> files = listDir(out);
        CliDriver.Result refused = vm.run(out, "-l", "full");
        assertEquals(1, refused.exitCode(), refused::toString);
        assertEquals("virtchain: domain " + vm.name() + " is not running: a full backup needs it running; use "
                + "--start-paused, or -l copy for a copy of its disks", refused.stderr().strip(), refused::toString);
        assertEquals("", refused.stdout());
        assertArrayEquals(manifest, Files.readAllBytes(out.resolve("virtchain.json")));
        assertEquals(files, listDir(out));
        // The default level, auto, is refused the same way, in words that read.
        CliDriver.Result auto = vm.run(out);
        assertEquals(1, auto.exitCode(), auto::toString);
        assertEquals("virtchain: domain " + vm.name() + " is not running: an auto backup needs it running; use "
                + "--start-paused, or -l copy for a copy of its disks", auto.stderr().strip(), auto::toString);
        assertArrayEquals(manifest, Files.readAllBytes(out.resolve("virtchain.json")));
        assertEquals(files, listDir(out));
        assertFalse(hv.isActive(vm.name()));

        // --start-paused: started paused for the full, shut off again afterwards.
        CliDriver.Result f = vm.run(out, "-l", "full", "--start-paused");
        assertEquals(0, f.exitCode(), f::toString);
        JsonNode full = f.json();
        assertEquals("full", full.get("level").asText());
        assertEquals(1, full.get("seq").asInt());
        assertFalse(hv.isActive(vm.name()), "the domain is shut off again");
        assertFalse(f.stderr().contains("freeze"), "a guest started paused has nothing to freeze: " + f.stderr());
        assertEquals(List.of(full.get("checkpoint").asText()), hv.checkpointNames(vm.name()));
        for (String t : disks) {
            BackupDirs.assertSameContent(out, out.resolve(t + ".0001.full.qcow2"), vm.source(t));
        }

        // Its bitmaps outlived the shutdown: a write while it is off shows in the next (auto) inc.
        Qemu.io(vm.vm, "-f", "qcow2", "-c", "write -P 0x99 1M 64k", vm.source("vda").toString());
        CliDriver.Result i = vm.run(out, "--start-paused");
        assertEquals(0, i.exitCode(), i::toString);
        JsonNode inc = i.json();
        assertEquals("inc", inc.get("level").asText());
        assertEquals(1, inc.get("parent").asInt());
        assertFalse(hv.isActive(vm.name()));
        for (String t : disks) {
            assertEquals(List.of(t + ".0002.inc.qcow2", t + ".0001.full.qcow2"), chain(out, t + ".0002.inc.qcow2"));
            BackupDirs.assertSameContent(out, out.resolve(t + ".0002.inc.qcow2"), vm.source(t));
        }
        assertEquals(64 * K, storedInTop(out, "vda.0002.inc.qcow2"));
        assertEquals(0, storedInTop(out, "vdb.0002.inc.qcow2"));
        BackupDirs.assertConsistent(out);
    }
}
