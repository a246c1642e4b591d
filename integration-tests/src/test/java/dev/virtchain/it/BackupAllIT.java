package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.state.RunRecord;
import dev.virtchain.app.testing.CliDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain backup --all --parallel 2} on one embedded libvirt with three TCG guests: vc-all-a
 * (two disks), vc-all-b (two disks, its vdb left out by the config file) and vc-all-c (shut off,
 * skipped). Each domain into ROOT/&lt;domain&gt;, the JSON array and the table, the exit code; then a
 * pre_hook that fails for vc-all-b alone: exit 1, one line for it, the others backed up. In order:
 * each test builds on the backups before. 4 embedded connections in all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupAllIT {
    static final long SIZE = 16L << 20;
    static final long K = 1024;

    @TempDir
    static Path dir;
    static EmbeddedLibvirt env;
    static Hypervisor hv;
    static Path root;
    static final List<String> RUNNING = List.of("vc-all-a", "vc-all-b");

    @BeforeAll
    static void start() throws Exception {
        env = EmbeddedLibvirt.start(dir.resolve("libvirt"));
        hv = env.hypervisor();
        Path vm = Files.createDirectories(dir.resolve("vm"));
        env.startGuest(vm, "vc-all-a", 2, SIZE);
        env.startGuest(vm, "vc-all-b", 2, SIZE);
        hv.define(TestGuest.create(vm, "vc-all-c", 1, SIZE).domainXml()); // defined, never started
        new GuestDisks(hv, "vc-all-a").io("vda", "write -P 0x11 0 1M");
        new GuestDisks(hv, "vc-all-a").io("vdb", "write -P 0x12 4M 256k");
        new GuestDisks(hv, "vc-all-b").io("vda", "write -P 0x21 0 512k");
        new GuestDisks(hv, "vc-all-b").io("vdb", "write -P 0x22 0 512k");
        root = dir.resolve("backups");
    }

    @AfterAll
    static void stop() throws Exception {
        if (env != null) {
            try {
                hv.undefine("vc-all-c");
            } finally {
                env.close();
            }
        }
    }

    /** The config file: ROOT, keep the last 5, vc-all-b without vdb, and {@code extra} at the end. */
    static Path config(String extra) throws Exception {
        return Files.writeString(dir.resolve("virtchain.toml"), "[defaults]\n"
                + "root = \"" + root + "\"\n"
                + "[defaults.keep]\n"
                + "last = 5\n"
                + "[domain.\"vc-all-b\"]\n"
                + "exclude = [\"vdb\"]\n" + extra);
    }

    /** {@code backup --all --parallel 2} with the domains paused, so that each backup can be compared with its disks. */
    static CliDriver.Result backupAll(Path config, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup", "--all", "-c", hv.uri(), "--config", config.toString(),
                "--parallel", "2"));
        args.addAll(List.of(options));
        for (String d : RUNNING) {
            hv.suspend(d);
        }
        return CliDriver.inProcess().run(args.toArray(String[]::new));
    }

    static void resume() throws Exception {
        for (String d : RUNNING) {
            hv.resume(d);
        }
    }

    /** Each disk's file of backup {@code seq} in ROOT/&lt;domain&gt; reads as the disk does now (paused). */
    static void assertSameAsDisks(String domain, int seq, String level, List<String> targets) {
        Path d = root.resolve(domain);
        for (String t : targets) {
            BackupDirs.assertSameContent(d, d.resolve(String.format("%s.%04d.%s.qcow2", t, seq, level)),
                    dir.resolve("vm").resolve(domain + "-" + t + ".qcow2"));
        }
        assertEquals(targets, BackupDirs.backup(d, seq).get("disks").findValuesAsText("target"));
        BackupDirs.assertConsistent(d);
    }

    @Test
    @Order(1)
    void everyRunningDomainIntoItsOwnDirectoryAndTheShutOffOneSkipped() throws Exception {
        CliDriver.Result r;
        try {
            r = backupAll(config(""), "--json");
            assertEquals(0, r.exitCode(), r.toString());
            assertSameAsDisks("vc-all-a", 0, "full", List.of("vda", "vdb"));
            assertSameAsDisks("vc-all-b", 0, "full", List.of("vda"));
        } finally {
            resume();
        }
        assertEquals(List.of("vc-all-a", "vc-all-b"), BackupDirs.listDir(root), "nothing for the shut-off domain");
        assertFalse(BackupDirs.exists(root.resolve("vc-all-b"), "vdb.0000.full.qcow2"), "vdb excluded by the config");

        JsonNode a = r.json();
        assertEquals(3, a.size(), a.toString());
        JsonNode ra = a.get(0);
        assertEquals("vc-all-a", ra.get("domain").asText());
        assertEquals(root.resolve("vc-all-a").toString(), ra.get("dir").asText());
        assertEquals("ok", ra.get("result").asText());
        assertEquals("full", ra.get("level").asText());
        assertEquals(0, ra.get("seq").asInt());
        assertEquals(1024 * K + 256 * K, ra.get("bytes").asLong(), "vda 1 MiB and vdb 256 KiB of data");
        assertTrue(ra.get("seconds").asDouble() > 0, ra.toString());
        assertTrue(ra.get("message").isNull(), ra.toString());
        assertEquals("vc-all-a", ra.get("backup").get("domain").asText());
        assertEquals("keep 5 last backups", ra.get("prune").get("policy").asText(), "keep rules from the config");
        JsonNode rb = a.get(1);
        assertEquals("vc-all-b", rb.get("domain").asText());
        assertEquals("ok", rb.get("result").asText());
        assertEquals(512 * K, rb.get("bytes").asLong(), "vda only");
        JsonNode rc = a.get(2);
        assertEquals("vc-all-c", rc.get("domain").asText());
        assertEquals("skipped", rc.get("result").asText());
        assertEquals("shut off: --start-paused (start_paused = true) or -l copy backs it up", rc.get("message").asText());
        assertTrue(rc.get("seq").isNull() && rc.get("seconds").isNull(), rc.toString());
        assertFalse(r.stderr().contains("vc-all-c"), r.stderr());
    }

    @Test
    @Order(2)
    void theTableAfterAnIncOfEach() throws Exception {
        new GuestDisks(hv, "vc-all-a").io("vda", "write -P 0x13 2M 64k");
        new GuestDisks(hv, "vc-all-b").io("vda", "write -P 0x23 1M 128k");
        CliDriver.Result r;
        try {
            r = backupAll(config(""));
            assertEquals(0, r.exitCode(), r.toString());
            assertSameAsDisks("vc-all-a", 1, "inc", List.of("vda", "vdb"));
            assertSameAsDisks("vc-all-b", 1, "inc", List.of("vda"));
        } finally {
            resume();
        }
        List<String> table = r.stdout().lines().toList();
        assertEquals(4, table.size(), r.toString());
        assertEquals("DOMAIN    LEVEL  SEQ  WRITTEN  SECONDS  RESULT", table.get(0), r.toString());
        assertTrue(table.get(1).matches("vc-all-a  inc    1    0\\.1 MiB  \\d+\\.\\d +ok"), r.toString());
        assertTrue(table.get(2).matches("vc-all-b  inc    1    0\\.1 MiB  \\d+\\.\\d +ok"), r.toString());
        assertEquals("vc-all-c  -      -    -        -        skipped: shut off: --start-paused (start_paused = true) "
                + "or -l copy backs it up", table.get(3), r.toString());
        // Warnings name their domain: neither guest has an agent to freeze it.
        assertTrue(r.stderr().lines().anyMatch(l -> l.startsWith("virtchain: vc-all-a: warning: ")), r.stderr());
        assertTrue(r.stderr().lines().anyMatch(l -> l.startsWith("virtchain: vc-all-b: warning: ")), r.stderr());
    }

    @Test
    @Order(3)
    void aFailingDomainExitsOneWithOneLineAndStopsNoOther() throws Exception {
        new GuestDisks(hv, "vc-all-a").io("vdb", "write -P 0x14 0 64k");
        String manifestB = Files.readString(root.resolve("vc-all-b/virtchain.json"));
        CliDriver.Result r;
        try {
            r = backupAll(config("pre_hook = \"echo flush failed; exit 3\"\n"), "--json");
            assertEquals(1, r.exitCode(), r.toString());
            assertSameAsDisks("vc-all-a", 2, "inc", List.of("vda", "vdb"));
        } finally {
            resume();
        }
        List<String> failures = r.stderr().lines().filter(l -> l.startsWith("virtchain: ") && !l.contains(": warning: "))
                .toList();
        assertEquals(List.of("virtchain: vc-all-b: pre-hook 'echo flush failed; exit 3' exited 3: flush failed"),
                failures, r.toString());
        JsonNode a = r.json();
        assertEquals(List.of("ok", "failed", "skipped"), a.findValuesAsText("result"));
        assertEquals(2, a.get(0).get("seq").asInt());
        assertEquals("pre-hook 'echo flush failed; exit 3' exited 3: flush failed", a.get(1).get("message").asText());
        assertTrue(a.get(1).get("seq").isNull(), a.toString());
        assertEquals(manifestB, Files.readString(root.resolve("vc-all-b/virtchain.json")), "nothing recorded for b");
        BackupDirs.assertConsistent(root.resolve("vc-all-b"));
        // Each domain's run recorded how it ended, as a single backup does (status reads it).
        RunRecord okA = RunRecord.read(root.resolve("vc-all-a")).orElseThrow();
        assertTrue(okA.ok() && okA.domain().equals("vc-all-a"), okA.toString());
        RunRecord failedB = RunRecord.read(root.resolve("vc-all-b")).orElseThrow();
        assertFalse(failedB.ok(), failedB.toString());
        assertEquals("pre-hook 'echo flush failed; exit 3' exited 3: flush failed", failedB.error());
    }

    @Test
    @Order(4)
    void aGlobOfDomainsWithTheCommandLineOverTheFile() throws Exception {
        Path other = dir.resolve("copies");
        CliDriver.Result r = CliDriver.inProcess().run("backup", "-d", "vc-all-[bc]", "-c", hv.uri(), "--config",
                config("").toString(), "-o", other.toString(), "-l", "copy", "--json");
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode a = r.json();
        assertEquals(2, a.size(), a.toString());
        assertEquals(List.of("vc-all-b", "vc-all-c"), List.of(a.get(0).get("domain").asText(), a.get(1).get("domain").asText()));
        assertEquals(List.of("ok", "ok"), a.findValuesAsText("result"), "-l copy backs up the shut-off domain too");
        assertEquals(List.of("copy", "copy"), List.of(a.get(0).get("level").asText(), a.get(1).get("level").asText()));
        assertEquals(List.of("vc-all-b", "vc-all-c"), BackupDirs.listDir(other), "-o over the file's root");
        assertEquals(List.of("vda"), BackupDirs.backup(other.resolve("vc-all-b"), 0).get("disks").findValuesAsText("target"),
                "the file's exclude still holds");
        BackupDirs.assertConsistent(other.resolve("vc-all-b"));
        BackupDirs.assertConsistent(other.resolve("vc-all-c"));
        assertFalse(hv.isActive("vc-all-c"), "copied while shut off");
    }
}
