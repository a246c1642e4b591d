package dev.virtchain.app.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.TestDriverNode;
import dev.virtchain.app.testing.PrometheusText;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.testing.Processes;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain status} on backup directories laid out as {@code backup} leaves them: the
 * fixture's set ({@code full <- inc <- inc}, a diff on the full; newest 2026-11-23) of web01, a
 * domain of libvirt's test driver (shut off, its disk a real qcow2, so {@code -l copy} runs a real
 * backup and a full fails), and the last-run record those backups write. The test driver keeps no
 * checkpoints, so checkpoint health is "unknown" here (StatusIT checks it on real libvirt). The
 * Prometheus file is read back by the Prometheus project's parser ({@link PrometheusText}).
 */
class StatusCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;
    Path web01;
    String uri;

    @BeforeEach
    void set() throws Exception {
        web01 = Files.createDirectory(root.resolve("web01"));
        BackupSetFixture.write(web01, Checksum.CRC32C);
        Path vm = Files.createDirectory(root.getParent().resolve(root.getFileName() + "-vm"));
        Qemu.img(vm, "create", "-q", "-f", "qcow2", "web01.qcow2", "8M");
        Qemu.io(vm, "-c", "write -P 0x42 0 2M", "web01.qcow2");
        uri = TestDriverNode.write(vm, "web01", TestDriverNode.WEB01_UUID, vm.resolve("web01.qcow2"), false);
    }

    /** What find reads of st_blocks for every file under {@code dir}, in bytes (status counts files, as du does). */
    static long allocated(Path dir) {
        Processes.Result r = Processes.run(dir, Duration.ofMinutes(1), "findutils",
                List.of("find", ".", "-type", "f", "-printf", "%b\\n"));
        return r.stdout().lines().mapToLong(l -> Long.parseLong(l.strip()) * 512).sum();
    }

    @Test
    void aFixtureSetWithASuccessfulRunShowsItsFiguresAndTheRunAsOk() throws Exception {
        CliDriver.Result b = CLI.ok("backup", "-c", uri, "-d", "web01", "-o", web01.toString(), "-l", "copy");
        Qemu.assertClean(web01.resolve("vda.0004.copy.qcow2"));
        JsonNode run = JSON.readTree(Files.readString(web01.resolve(Naming.LAST_RUN)));
        assertTrue(run.get("ok").asBoolean(), run.toString());
        assertTrue(run.get("error").isNull(), run.toString());
        assertEquals("web01", run.get("domain").asText());
        assertEquals("copy", run.get("level").asText());
        assertFalse(Instant.parse(run.get("finished").asText()).isBefore(Instant.parse(run.get("started").asText())));

        JsonNode j = CLI.ok("status", web01.toString(), "-c", uri, "--json").json();
        assertEquals(web01.toAbsolutePath().toString(), j.get("root").asText());
        assertTrue(j.get("max-age-seconds").isNull());
        assertEquals(1, j.get("domains").size(), j.toString());
        JsonNode d = j.get("domains").get(0);
        assertEquals("web01", d.get("domain").asText());
        assertEquals(4, d.get("newest").get("seq").asInt(), b + d.toString());
        assertEquals("copy", d.get("newest").get("level").asText());
        assertEquals(5, d.get("restore-points").asInt());
        assertEquals(2, d.get("chain-length").asInt(), "the chain's tip is the diff, on the full");
        assertEquals(allocated(web01), d.get("bytes").asLong(), "st_blocks of the directory's files");
        assertEquals("ok", d.get("last-run").get("result").asText());
        // The test driver lists no checkpoint: all four the manifest expects are missing; a domain shut off
        // has no bitmaps to check.
        JsonNode c = d.get("checkpoints");
        assertEquals("problems", c.get("state").asText(), d.toString());
        assertEquals("bitmaps not checked: domain not running", c.get("reason").asText(), d.toString());
        assertEquals(List.of(cp(0), cp(1), cp(2), cp(3)), texts(c.get("expected")),
                "every restore point since the full has its checkpoint; the copy makes none: " + d);
        assertEquals(texts(c.get("expected")), texts(c.get("missing")));
        assertEquals(List.of(), texts(c.get("foreign")));
        assertTrue(c.get("stale").isNull(), d.toString());
        assertTrue(d.get("error").isNull());
        assertEquals(List.of("web01: checkpoints: missing " + cp(0) + ", " + cp(1) + ", " + cp(2) + ", " + cp(3)
                + " (bitmaps not checked: domain not running)"), texts(j.get("problems")));
    }

    @Test
    void aFailedRunIsRecordedAndShownAndThePrometheusFileSaysSoAsTheParserReadsIt() throws Exception {
        CliDriver.Result failed = CLI.run("backup", "-c", uri, "-d", "web01", "-o", web01.toString(), "-l", "full");
        assertEquals(1, failed.exitCode(), failed.toString());
        String line = failed.stderr().lines().filter(l -> l.startsWith("virtchain: ")).findFirst().orElseThrow();
        JsonNode run = JSON.readTree(Files.readString(web01.resolve(Naming.LAST_RUN)));
        assertFalse(run.get("ok").asBoolean(), run.toString());
        assertEquals(line.substring("virtchain: ".length()), run.get("error").asText(), "the line the run printed");
        assertEquals("full", run.get("level").asText());

        // A second domain whose only run failed before it made any backup: a record, no manifest.
        Path db01 = Files.createDirectory(root.resolve("db01"));
        CliDriver.Result none = CLI.run("backup", "-c", uri, "-d", "db01", "-o", db01.toString());
        assertEquals(1, none.exitCode(), none.toString());
        assertTrue(Files.isRegularFile(db01.resolve(Naming.LAST_RUN)), none.toString());

        Path prom = root.resolve("virtchain.prom");
        CliDriver.Result text = CLI.run("status", root.toString(), "-c", uri, "--max-age", "36500d",
                "--prometheus", prom.toString());
        assertEquals(1, text.exitCode(), "db01 has no backup at all: " + text);
        List<String> lines = text.stdout().lines().toList();
        assertTrue(lines.get(0).matches("DOMAIN +NEWEST +AGE +POINTS +CHAIN +ON DISK +LAST RUN +CHECKPOINTS"), text.toString());
        assertTrue(lines.get(1).matches("db01 +- +- +0 +0 +\\S+ \\S+ +failed \\S+ +unknown"), text.toString());
        assertTrue(lines.get(2).matches("web01 +3 diff 2026-11-23T23:00:00Z +\\d+d \\d+h +4 +2 +\\d+\\.\\d MiB +failed \\S+ +problems"),
                text.toString());
        assertTrue(lines.contains("web01: last run failed at " + run.get("finished").asText().replaceAll("\\.\\d+Z$", "Z")
                + ": " + run.get("error").asText()), text.toString());
        assertTrue(lines.contains("db01: no backup yet, --max-age 36500d 0h"), text.toString());
        assertFalse(text.stdout().contains("web01: newest"), "web01 is younger than 100 years: " + text);

        PrometheusText p = PrometheusText.parse(prom);
        Set<String> names = p.families().stream().map(PrometheusText.Family::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(List.of("virtchain_last_success_timestamp_seconds", "virtchain_last_run_timestamp_seconds",
                "virtchain_last_run_success", "virtchain_backup_bytes", "virtchain_restore_points", "virtchain_chain_length",
                "virtchain_checkpoints_checked", "virtchain_checkpoints_missing", "virtchain_checkpoints_foreign",
                "virtchain_status_error", "virtchain_max_age_exceeded", "virtchain_status_timestamp_seconds")), names,
                "no domain runs: no stale bitmap count, no estimate, and a family with no sample is left out");
        for (PrometheusText.Family f : p.families()) {
            assertEquals("gauge", f.type(), f.name());
            assertFalse(f.help().isBlank(), f.name());
        }
        assertEquals(Instant.parse("2026-11-23T23:00:00Z").getEpochSecond(),
                p.value("virtchain_last_success_timestamp_seconds", "web01").orElseThrow());
        assertEquals(Instant.parse(run.get("finished").asText()).toEpochMilli() / 1000.0,
                p.value("virtchain_last_run_timestamp_seconds", "web01").orElseThrow(), 0.001);
        assertEquals(0.0, p.value("virtchain_last_run_success", "web01").orElseThrow());
        assertEquals(0.0, p.value("virtchain_last_run_success", "db01").orElseThrow());
        assertEquals((double) allocated(web01), p.value("virtchain_backup_bytes", "web01").orElseThrow());
        assertEquals(4.0, p.value("virtchain_restore_points", "web01").orElseThrow());
        assertEquals(2.0, p.value("virtchain_chain_length", "web01").orElseThrow());
        assertEquals(1.0, p.value("virtchain_checkpoints_checked", "web01").orElseThrow());
        assertEquals(0.0, p.value("virtchain_checkpoints_checked", "db01").orElseThrow());
        assertEquals(4.0, p.value("virtchain_checkpoints_missing", "web01").orElseThrow());
        assertEquals(0.0, p.value("virtchain_checkpoints_foreign", "web01").orElseThrow());
        assertEquals(0.0, p.value("virtchain_max_age_exceeded", "web01").orElseThrow());
        assertEquals(1.0, p.value("virtchain_max_age_exceeded", "db01").orElseThrow());
        assertEquals(0.0, p.value("virtchain_status_error", "web01").orElseThrow());
        // What status does not know is left out, never made up: no backup of db01, no bitmaps of a domain shut off.
        assertTrue(p.value("virtchain_last_success_timestamp_seconds", "db01").isEmpty());
        assertTrue(p.value("virtchain_checkpoints_missing", "db01").isEmpty());
        assertTrue(p.value("virtchain_checkpoints_stale", "web01").isEmpty());
        assertTrue(p.value("virtchain_next_inc_estimate_bytes", "web01").isEmpty());
        for (PrometheusText.Sample s : p.family("virtchain_backup_bytes").orElseThrow().samples()) {
            assertEquals(root.resolve(s.labels().get("domain")).toAbsolutePath().toString(), s.labels().get("dir"));
        }
        try (var leftovers = Files.list(root)) {
            assertEquals(List.of(), leftovers.filter(f -> f.getFileName().toString().endsWith(".partial")).toList(),
                    "the file was written under a temporary name and renamed");
        }
    }

    @Test
    void maxAgeFailsNamingTheDomainWhoseNewestBackupIsOlder() throws Exception {
        CliDriver.Result late = CLI.run("status", root.toString(), "-c", uri, "--max-age", "1d", "--json");
        assertEquals(1, late.exitCode(), late.toString());
        JsonNode d = late.json().get("domains").get(0);
        assertTrue(d.get("too-old").asBoolean(), d.toString());
        long age = d.get("newest").get("age-seconds").asLong();
        assertTrue(Math.abs(Duration.between(Instant.parse("2026-11-23T23:00:00Z"), Instant.now()).toSeconds() - age) < 600,
                "the age is now's: " + d);
        assertEquals(86400, late.json().get("max-age-seconds").asLong());
        assertTrue(texts(late.json().get("problems")).stream().anyMatch(l -> l.matches(
                "web01: newest backup is \\d+d \\d+h old, more than --max-age 1d 0h")), late.toString());
        CLI.ok("status", root.toString(), "-c", uri, "--max-age", "PT876000H");
    }

    @Test
    void badInputGetsOneLineAndAUsageExit() throws Exception {
        CliDriver.Result bad = CLI.run("status", root.toString(), "--max-age", "soon");
        assertEquals(2, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("soon: not a duration (e.g. 26h, 1d12h, 90m, PT26H)"), bad.toString());
        CliDriver.Result order = CLI.run("status", root.toString(), "--max-age", "5m1h");
        assertEquals(2, order.exitCode(), order.toString());
        CliDriver.Result missing = CLI.run("status", root.resolve("nope").toString());
        assertEquals(1, missing.exitCode(), missing.toString());
        assertEquals("virtchain: " + root.resolve("nope") + ": no such directory\n", missing.stderr());
        Path empty = Files.createDirectory(root.resolve("empty"));
        CliDriver.Result nothing = CLI.run("status", empty.toString());
        assertEquals(1, nothing.exitCode(), nothing.toString());
        assertTrue(nothing.stderr().startsWith("virtchain: " + empty + ": no backup directory here"), nothing.toString());
        assertFalse(nothing.stderr().contains("Exception"), nothing.toString());
    }

    @Test
    void anUnreadableManifestIsThatDomainsProblemAndTheOthersAreStillShown() throws Exception {
        Path broken = Files.createDirectory(root.resolve("broken"));
        Files.writeString(broken.resolve(Naming.MANIFEST), "{ not json");
        CliDriver.Result r = CLI.run("status", root.toString(), "-c", uri, "--json");
        assertEquals(1, r.exitCode(), r.toString());
        JsonNode j = r.json();
        assertEquals(List.of("broken", "web01"), j.get("domains").findValues("domain").stream().map(JsonNode::asText).toList());
        assertTrue(j.get("domains").get(0).get("error").asText().startsWith(broken.resolve(Naming.MANIFEST).toString()),
                j.toString());
        assertEquals(4, j.get("domains").get(1).get("restore-points").asInt());
    }

    private String cp(int seq) throws Exception {
        return Naming.checkpointName(JSON.readTree(Files.readString(web01.resolve(Naming.MANIFEST))).get("setId").asText(),
                seq);
    }

    private static List<String> texts(JsonNode array) {
        List<String> l = new java.util.ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }
}
