package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.PrometheusText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain status} and {@code backup --estimate} on real libvirt and qemu (the embedded
 * driver, a TCG guest with one disk), in one story: a full; status with its checkpoint healthy; an
 * estimate, then the inc it estimated; a failed run; --max-age passed (the clock moved on through
 * status's test seam, no sleeping); a checkpoint deleted behind virtchain's back; qemu killed, which
 * leaves a bitmap broken. The Prometheus file of each status is read back by the Prometheus project's
 * parser. 12 embedded connections in all.
 */
class StatusIT {
    static final long SIZE = 64L << 20;
    static final long K = 1024;
    static final long M = 1024 * K;

    @TempDir
    static Path shared;
    static CliGuest vm;

    @BeforeAll
    static void start() throws Exception {
        vm = CliGuest.start(shared, "vc-status", 1, SIZE);
        vm.io.io("vda", "write -P 0x11 0 4M");
    }

    @AfterAll
    static void stop() throws Exception {
        if (vm != null) {
            vm.close();
        }
    }

    private static CliDriver.Result status(Path out, Path prom, String... more) {
        List<String> args = new ArrayList<>(List.of("status", out.toString(), "-c", vm.uri, "--json",
                "--prometheus", prom.toString()));
        args.addAll(List.of(more));
        return CliDriver.inProcess().run(args.toArray(String[]::new));
    }

    private static JsonNode only(CliDriver.Result r) {
        JsonNode domains = r.json().get("domains");
        assertEquals(1, domains.size(), r.toString());
        return domains.get(0);
    }

    private static List<String> texts(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    @Test
    void statusFollowsBackupsFailuresAgeAndCheckpointsAndTheEstimateIsCloseToWhatTheIncCopies(@TempDir Path work)
            throws Exception {
        Path out = work.resolve("vc-status");
        Path prom = work.resolve("virtchain.prom");
        JsonNode full = vm.backup(out, "-l", "full");
        String cp0 = full.get("checkpoint").asText();

        // (1) After the full: healthy, every figure right.
        CliDriver.Result r = status(out, prom);
        assertEquals(0, r.exitCode(), r.toString());
        JsonNode d = only(r);
        assertEquals(vm.name(), d.get("domain").asText());
        assertEquals(0, d.get("newest").get("seq").asInt());
        assertEquals("full", d.get("newest").get("level").asText());
        assertEquals(1, d.get("chain-length").asInt());
        assertEquals("ok", d.get("last-run").get("result").asText(), d.toString());
        JsonNode c = d.get("checkpoints");
        assertEquals("ok", c.get("state").asText(), d.toString());
        assertEquals(List.of(cp0), texts(c.get("expected")));
        assertEquals(List.of(), texts(c.get("missing")));
        assertEquals(List.of(), texts(c.get("foreign")));
        assertEquals(List.of(), texts(c.get("stale")), "the domain runs: its bitmaps were checked");
        PrometheusText p = PrometheusText.parse(prom);
        String dom = vm.name();
        assertEquals(1.0, p.value("virtchain_last_run_success", dom).orElseThrow());
        assertEquals(1.0, p.value("virtchain_checkpoints_checked", dom).orElseThrow());
        assertEquals(0.0, p.value("virtchain_checkpoints_missing", dom).orElseThrow());
        assertEquals(0.0, p.value("virtchain_checkpoints_stale", dom).orElseThrow());
        assertEquals((double) Instant.parse(full.get("time").asText()).toEpochMilli() / 1000.0,
                p.value("virtchain_last_success_timestamp_seconds", dom).orElseThrow(), 0.001);
        assertEquals(d.get("bytes").asDouble(), p.value("virtchain_backup_bytes", dom).orElseThrow());

        // (2) The estimate of the next inc, then the inc. The guest is paused in between, so nothing
        // else changes. libvirt counts the bitmap's dirty granules (64 KiB here, the disk's cluster
        // size); the inc stores the clusters that hold data: the same for writes of data at aligned
        // offsets, more in the estimate for writes of zeros or unaligned writes, which dirty a whole
        // granule. So: the estimate is never below what the inc copies, and here at most one granule
        // per write above it. (Measured on libvirt 9.0 / qemu 7.2: equal, 1245184 bytes each: the inc
        // copies the half-written granule's whole cluster too.)
        vm.io.io("vda", "write -P 0x22 8M 1M");
        vm.io.io("vda", "write -P 0x23 20M 64k");
        vm.io.io("vda", "write -P 0x24 30M 100k"); // unaligned end: its last granule is half written
        vm.hv.suspend(dom);
        long estimate;
        try {
            CliDriver.Result e = CliDriver.inProcess().run("backup", "-c", vm.uri, "-d", dom, "-o", out.toString(),
                    "--estimate", "--json");
            assertEquals(0, e.exitCode(), e.toString());
            JsonNode ej = e.json();
            assertEquals("inc", ej.get("level").asText());
            assertEquals(0, ej.get("from-seq").asInt());
            assertEquals(cp0, ej.get("checkpoint").asText());
            estimate = ej.get("bytes").asLong();
            assertEquals(estimate, ej.get("disks").get("vda").asLong());
        } finally {
            vm.hv.resume(dom);
        }
        JsonNode inc = vm.backup(out, "-l", "inc");
        long copied = inc.get("disks").get(0).get("bytes-written").asLong();
        System.out.printf("StatusIT: estimate %d bytes, the inc stored %d bytes%n", estimate, copied);
        assertTrue(copied >= M + 64 * K + 100 * K, "the inc holds the writes: " + copied);
        assertTrue(estimate >= copied && estimate <= copied + 3 * 64 * K,
                "estimate " + estimate + " vs copied " + copied);

        // (3) A failed run (its pre-hook fails): recorded, shown, and the newest good backup stays the inc.
        CliDriver.Result failed = vm.run(out, "-l", "inc", "--pre-hook", "exit 3");
        assertEquals(1, failed.exitCode(), failed.toString());
        r = status(out, prom);
        assertEquals(0, r.exitCode(), "a failed run alone does not fail status: " + r);
        d = only(r);
        assertEquals("failed", d.get("last-run").get("result").asText(), d.toString());
        String line = failed.stderr().lines().filter(l -> l.startsWith("virtchain: ")).findFirst().orElseThrow();
        assertEquals(line.substring("virtchain: ".length()), d.get("last-run").get("error").asText());
        assertEquals(1, d.get("newest").get("seq").asInt());
        assertTrue(texts(r.json().get("problems")).get(0).startsWith(dom + ": last run failed at "), r.toString());
        p = PrometheusText.parse(prom);
        assertEquals(0.0, p.value("virtchain_last_run_success", dom).orElseThrow());
        assertEquals((double) Instant.parse(inc.get("time").asText()).toEpochMilli() / 1000.0,
                p.value("virtchain_last_success_timestamp_seconds", dom).orElseThrow(), 0.001);
        assertEquals(2.0, p.value("virtchain_chain_length", dom).orElseThrow());

        // (4) Two hours later by status's clock, --max-age 1h: exit 1, naming the domain.
        Instant later = Instant.parse(inc.get("time").asText()).plus(Duration.ofHours(2));
        System.setProperty("virtchain.test.now", later.toString());
        try {
            r = status(out, prom, "--max-age", "1h");
        } finally {
            System.clearProperty("virtchain.test.now");
        }
        assertEquals(1, r.exitCode(), r.toString());
        d = only(r);
        assertTrue(d.get("too-old").asBoolean(), d.toString());
        assertEquals(7200, d.get("newest").get("age-seconds").asLong());
        assertTrue(texts(r.json().get("problems")).contains(dom + ": newest backup is 2h 0m old, more than --max-age 1h 0m"),
                r.toString());
        p = PrometheusText.parse(prom);
        assertEquals(1.0, p.value("virtchain_max_age_exceeded", dom).orElseThrow());
        assertEquals(later.toEpochMilli() / 1000.0, p.family("virtchain_status_timestamp_seconds").orElseThrow()
                .samples().get(0).value(), 0.001);
        assertEquals(0, status(out, prom, "--max-age", "1h").exitCode(), "now, the inc is minutes old");

        // (5) The inc's checkpoint deleted behind virtchain's back: missing, and the Prometheus file says so.
        String cp1 = inc.get("checkpoint").asText();
        vm.hv.deleteCheckpoint(dom, cp1, false);
        r = status(out, prom);
        d = only(r);
        c = d.get("checkpoints");
        assertEquals("problems", c.get("state").asText(), d.toString());
        assertEquals(List.of(cp1), texts(c.get("missing")));
        assertEquals(List.of(), texts(c.get("stale")));
        assertTrue(texts(r.json().get("problems")).contains(dom + ": checkpoints: missing " + cp1), r.toString());
        assertTrue(d.get("next-inc-estimate-bytes").isNull(), "no checkpoint to count from: " + d);
        p = PrometheusText.parse(prom);
        assertEquals(1.0, p.value("virtchain_checkpoints_missing", dom).orElseThrow());

        // (6) qemu killed (a host crash does the same) while the full's bitmap was in use: libvirt still
        // lists the checkpoint, but after the next start qemu finds its bitmap inconsistent: stale.
        String pid = Files.readString(vm.env.root().resolve("run/qemu/" + dom + ".pid")).strip();
        assertEquals(0, new ProcessBuilder("kill", "-9", pid).inheritIO().start().waitFor());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (vm.hv.isActive(dom)) {
            assertTrue(System.nanoTime() < deadline, "qemu of " + dom + " does not die");
            Thread.sleep(100);
        }
        vm.hv.start(dom, false);
        r = status(out, prom);
        d = only(r);
        c = d.get("checkpoints");
        assertEquals(List.of(cp0), texts(c.get("stale")), d.toString());
        assertEquals(List.of(cp1), texts(c.get("missing")), d.toString());
        assertTrue(texts(r.json().get("problems")).contains(dom + ": checkpoints: missing " + cp1 + "; stale bitmaps " + cp0),
                r.toString());
        p = PrometheusText.parse(prom);
        assertEquals(1.0, p.value("virtchain_checkpoints_stale", dom).orElseThrow());
        assertTrue(p.value("virtchain_next_inc_estimate_bytes", dom).isEmpty());
        // The estimate says why it cannot count: the next backup cannot continue the chain.
        CliDriver.Result e = CliDriver.inProcess().run("backup", "-c", vm.uri, "-d", dom, "-o", out.toString(),
                "--estimate", "-l", "diff");
        assertEquals(1, e.exitCode(), e.toString());
        assertEquals("virtchain: domain " + dom + ": checkpoint " + cp0 + ": libvirt cannot count the changes of disk vda"
                + " since it: a bitmap is missing or broken; the next backup cannot continue the chain from backup 0: it"
                + " will be a full backup (-l full, or --auto-full)\n", e.stderr());
        BackupDirs.assertImagesClean(out);
    }
}
