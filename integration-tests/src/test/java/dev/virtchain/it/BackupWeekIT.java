package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/DESIGN.md's week through the CLI ({@code virtchain backup} and {@code list}, run in-process on
 * the embedded driver) on a two-disk TCG guest: full, inc, inc, diff, inc, diff, with data
 * writes, zero writes and discards between them. qemu-img judges every backup: the files pass
 * check, their backing chains are exactly the links of docs/DESIGN.md's table (inc to the previous
 * backup whatever its level, diff to the full), each chain top reads as the disk did at that
 * backup, and an inc or diff holds exactly the clusters written since its incremental checkpoint.
 */
class BackupWeekIT {
    static final long SIZE = 32L << 20;
    static final long CLUSTER = 64L << 10; // qcow2's default cluster size: the dirty bitmaps' granularity

    @TempDir
    static Path shared;
    static EmbeddedLibvirt env;
    static Hypervisor hv;

    @BeforeAll
    static void connect() throws Exception {
        env = EmbeddedLibvirt.start(shared.resolve("libvirt"));
        hv = env.hypervisor();
    }

    @AfterAll
    static void disconnect() throws Exception {
        if (env != null) {
            env.close();
        }
    }

    /** One guest write: a qemu-io command on one disk, and the clusters it dirties. */
    record Write(String disk, String op, long offset, long length) {
        String command() {
            return op + " " + offset + " " + length;
        }
    }

    /** A day of the week: the writes since the day before, then a backup at {@code level}. */
    record Day(String name, String level, List<Write> writes) {
    }

    static Write data(String disk, int pattern, long offset, long length) {
        return new Write(disk, "write -P 0x" + Integer.toHexString(pattern), offset, length);
    }

    static Write zero(String disk, long offset, long length) {
        return new Write(disk, "write -z", offset, length);
    }

    static Write discard(String disk, long offset, long length) {
        return new Write(disk, "discard", offset, length);
    }

    static final long K = 1024;
    static final long M = 1024 * K;

    static final List<Day> WEEK = List.of(
            new Day("Mon", "full", List.of(
                    data("vda", 0x11, 0, M), data("vda", 0x12, 4 * M, 512 * K), data("vda", 0x13, 30 * M, 64 * K),
                    data("vdb", 0x21, 0, 256 * K), data("vdb", 0x22, 8 * M, M))),
            new Day("Tue", "inc", List.of(
                    data("vda", 0x31, 64 * K, 128 * K), zero("vda", 4 * M, 64 * K), discard("vda", 4 * M + 64 * K, 64 * K),
                    data("vdb", 0x32, 12 * M, 64 * K))),
            new Day("Wed", "inc", List.of(
                    data("vda", 0x41, 2 * M, 64 * K),
                    discard("vdb", 8 * M, 128 * K), zero("vdb", 0, 64 * K))),
            new Day("Thu", "diff", List.of(
                    data("vda", 0x51, 3 * M, 128 * K), data("vda", 0x52, 64 * K, 64 * K),
                    data("vdb", 0x53, 16 * M, 64 * K))),
            new Day("Fri", "inc", List.of(
                    zero("vda", 128 * K, 64 * K))), // vdb unchanged: an empty inc overlay
            new Day("Sat", "diff", List.of(
                    data("vda", 0x71, 20 * M, 128 * K), discard("vda", 30 * M, 64 * K),
                    discard("vdb", 16 * M, 64 * K), data("vdb", 0x72, 31 * M, 64 * K))));

    /** docs/DESIGN.md's table for this week: inc links to the backup before it, diff to the full. */
    static final Map<Integer, Integer> PARENT = Map.of(1, 0, 2, 1, 3, 0, 4, 3, 5, 0);

    @Test
    void fullIncIncDiffIncDiff(@TempDir Path work) throws Exception {
        Path vm = Files.createDirectories(work.resolve("vm"));
        Path out = work.resolve("backup");
        Path snaps = Files.createDirectories(work.resolve("snapshots"));
        TestGuest g = env.startGuest(vm, "vc-week", 2, SIZE);
        GuestDisks io = new GuestDisks(hv, g.name());
        String uri = hv.uri();

        // Clusters written since each backup's checkpoint, per disk: what an inc or diff from it must hold.
        Map<Integer, Map<String, Set<Long>>> dirtySince = new HashMap<>();
        List<String> checkpoints = new ArrayList<>();

        for (int seq = 0; seq < WEEK.size(); seq++) {
            Day day = WEEK.get(seq);
            for (Write w : day.writes()) {
                io.io(w.disk(), w.command());
                for (Map<String, Set<Long>> since : dirtySince.values()) {
                    for (long c = w.offset() / CLUSTER; c * CLUSTER < w.offset() + w.length(); c++) {
                        since.get(w.disk()).add(c);
                    }
                }
            }

            // Paused, the disk holds still: the backup must read exactly as the disk does now.
            hv.suspend(g.name());
            JsonNode summary;
            try {
                CliDriver.Result run = CliDriver.inProcess().ok("backup", "-c", uri, "-d", g.name(), "-o",
                        out.toString(), "-l", day.level(), "--no-freeze", "--json");
                summary = run.json();
                List<String> progress = run.stderr().lines().filter(l -> l.startsWith("backup of " + g.name() + ": "))
                        .toList();
                assertTrue(!progress.isEmpty() && progress.get(progress.size() - 1).matches(
                        "backup of \\S+: 100% \\(.* MiB of .* MiB\\) after \\d+s"), "progress shows and ends at 100%:\n"
                        + run.stderr());
                for (String t : g.targets()) {
                    Path top = out.resolve(String.format("%s.%04d.%s.qcow2", t, seq, day.level()));
                    BackupDirs.assertSameContent(out, top, g.disk(t));
                    Qemu.img(snaps, "convert", "-U", "-O", "qcow2", g.disk(t).toString(),
                            snaps.resolve(t + "." + seq + ".qcow2").toString());
                }
            } finally {
                hv.resume(g.name());
            }

            String at = day.name() + " (" + day.level() + " " + seq + ")";
            assertEquals(seq, summary.get("seq").asInt(), at);
            assertEquals(day.level(), summary.get("level").asText(), at);
            Integer parent = PARENT.get(seq);
            assertEquals(parent == null ? null : parent.toString(), summary.get("parent").isNull() ? null
                    : summary.get("parent").asText(), at);
            JsonNode backup = BackupDirs.backup(out, seq);
            assertEquals(day.level(), backup.get("level").asText(), at);
            checkpoints.add(backup.get("checkpoint").asText());

            for (String t : g.targets()) {
                String file = String.format("%s.%04d.%s.qcow2", t, seq, day.level());
                JsonNode d = BackupDirs.disk(out, seq, t);
                assertEquals(file, d.get("file").asText(), at);
                List<String> chain = new ArrayList<>();
                for (Integer s = seq; s != null; s = PARENT.get(s)) {
                    chain.add(String.format("%s.%04d.%s.qcow2", t, s, WEEK.get(s).level()));
                }
                assertEquals(chain, BackupDirs.chain(out, file), at + ": backing chain of " + file);
                assertEquals(chain.size() > 1 ? chain.get(1) : null, d.get("backingFile").isNull() ? null
                        : d.get("backingFile").asText(), at);
                assertEquals(parent == null ? "full" : "incremental", d.get("mode").asText(), at);
                if (parent != null) {
                    // Only the clusters changed since the incremental checkpoint: data, zeroed and discarded alike.
                    long expected = dirtySince.get(parent).get(t).size() * CLUSTER;
                    String map = Qemu.img(out, "map", "--output=json", file);
                    assertEquals(expected, DiskChecks.allocatedInTop(map), at + ": clusters stored in " + file + "\n" + map);
                }
            }
            BackupDirs.assertConsistent(out);
            assertEquals(checkpoints, hv.checkpointNames(g.name()), at + ": libvirt's checkpoints");
            assertTrue(Files.isRegularFile(out.resolve(String.format("domain.%04d.xml", seq))), at);
            assertTrue(Files.isRegularFile(out.resolve("checkpoints/" + checkpoints.get(seq) + ".xml")), at);

            dirtySince.put(seq, Map.of("vda", new TreeSet<>(), "vdb", new TreeSet<>()));
        }

        // Later backups never touched earlier ones: every point in time still reads as it was.
        for (int seq = 0; seq < WEEK.size(); seq++) {
            for (String t : g.targets()) {
                BackupDirs.assertSameContent(out, out.resolve(String.format("%s.%04d.%s.qcow2", t, seq,
                        WEEK.get(seq).level())), snaps.resolve(t + "." + seq + ".qcow2"));
            }
        }
        // Saturday restores from the full and diff2 alone.
        assertEquals(List.of("vda.0005.diff.qcow2", "vda.0000.full.qcow2"), BackupDirs.chain(out, "vda.0005.diff.qcow2"));
    }
}
