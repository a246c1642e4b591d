package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.check.CheckOracle;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A flatten whose clones the file system refuses, or that fail, at any point: the output is still
 * the chain, and clean. The chains have what makes a refused piece dangerous: a raw base whose
 * zeros are written (so they are planned as clones, and the copy path then skips them), and a
 * read before the pieces (so the output's L2 table exists before a piece is tried, and nothing
 * written later hides a mapping past the end of the file). Each output is judged by qemu-img:
 * compare against the chain, check with no corruptions and no leaks, and no cluster mapped to a
 * hole, which is where a refused piece's zeros used to stay.
 */
class CloneFallbackTest {
    private static final long K = 1024;
    private static final long M = K * K;
    /** 8 MiB and a partial 64 KiB cluster of 20.5 KiB, whose last 512 bytes are a partial 4 KiB block. */
    private static final long SIZE = 8 * M + 20 * K + 512;

    @TempDir
    Path dir;

    /**
     * As reported: a raw base made of written zeros and some data, under an overlay, flattened with
     * reflink on onto a file system that refuses shared extents (ext4, tmpfs) exited 0 with L2
     * entries past the end of the output; qemu-img compare still called it identical. The overlay
     * starts with a compressed cluster, which the flatten reads and writes before it tries the base.
     */
    @Test
    void anOverlayOnARawBaseOfWrittenZerosFlattensCleanWithTheRealCloner() throws IOException {
        reportedChain();
        Path out = dir.resolve("flat.qcow2");
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE); // FileClone, as the CLI
        }
        assertTheChainAndClean(out, "qcow2");
    }

    /** The reported case on any file system: every clone refused. */
    @Test
    void anOverlayOnARawBaseOfWrittenZerosFlattensCleanWhenEveryCloneIsRefused() throws IOException {
        reportedChain();
        CopyingCloner refusing = new CopyingCloner(0);
        Path out = flatten("flat.qcow2", "qcow2", refusing);
        assertEquals(1, refusing.calls);
        assertTheChainAndClean(out, "qcow2");
        assertEquals(allocatedClusters(flatten("copied.qcow2", "qcow2", null)), allocatedClusters(out),
                "a refused piece takes no more clusters than copying it");
    }

    /**
     * The refusal comes at each clone in turn: before any (the whole plan is copied), between a
     * piece's segments (part of it cloned, into the output cluster the overlay shares with the
     * base), at the first segment of a later piece, or halfway through a segment. With data at the
     * end of the chain a refused piece's zero clusters lay in holes inside the file; without, past
     * its end.
     */
    @ParameterizedTest(name = "{0} output, then {1}, data at the end: {2}")
    @CsvSource({"qcow2, REFUSE, true", "qcow2, REFUSE, false", "qcow2, CLONE_PART_THEN_REFUSE, true",
            "qcow2, CLONE_PART_THEN_REFUSE, false", "raw, REFUSE, true", "raw, REFUSE, false",
            "raw, CLONE_PART_THEN_REFUSE, true", "raw, CLONE_PART_THEN_REFUSE, false"})
    void aRefusalAtAnyCloneGivesTheChainAndACleanImage(String format, CopyingCloner.Then then, boolean dataAtTheEnd)
            throws IOException {
        familyChain(format, dataAtTheEnd);
        CopyingCloner all = CopyingCloner.always();
        assertTheChainAndClean(flatten("all." + format, format, all), format);
        List<Executable> refusals = new ArrayList<>();
        for (int k = 0; k < all.calls; k++) {
            int at = k;
            refusals.add(() -> {
                CopyingCloner cloner = new CopyingCloner(at, then);
                Path out = flatten("refused-at-" + at + "." + format, format, cloner);
                assertEquals(at + 1, cloner.calls, "nothing is tried after the refusal");
                assertTheChainAndClean(out, format);
            });
        }
        assertAll(refusals);
    }

    /** An I/O error from the cloner at any clone fails the flatten, and nothing is left behind. */
    @ParameterizedTest(name = "{0} output")
    @ValueSource(strings = {"qcow2", "raw"})
    void aCloneFailureAtAnyCloneFailsTheFlattenAndLeavesNothing(String format) throws IOException {
        familyChain(format, true);
        CopyingCloner all = CopyingCloner.always();
        Path whole = flatten("all." + format, format, all);
        assertTheChainAndClean(whole, format);
        Files.delete(whole);
        for (int k = 0; k < all.calls; k++) {
            CopyingCloner failing = new CopyingCloner(k, CopyingCloner.Then.FAIL);
            IOException e = assertThrows(IOException.class, () -> flatten("failed." + format, format, failing));
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(List.of("base.raw", "top.qcow2"), names, "after a failure at clone " + k);
            }
        }
    }

    /** The scratch file of the reported case: 8 MiB of written zeros with 1 MiB of data. */
    private void reportedChain() {
        Qemu.img(dir, "create", "-q", "-f", "raw", "-o", "preallocation=full", "base.raw", "8M");
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 1M 1M", "base.raw");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2");
        Qemu.io(dir, "-c", "write -c -P 0x22 0 64k", "top.qcow2");
    }

    /**
     * Written zeros with data in the base; an overlay of 4 KiB clusters that is read first (a
     * compressed cluster at 0) and between two pieces (one at 4 MiB), and whose 4 KiB cluster at
     * 68k is a segment of its own inside the output's second cluster. The last output cluster is
     * partial, and so is the last block; with {@code dataAtTheEnd} both hold data, else zeros.
     */
    private void familyChain(String format, boolean dataAtTheEnd) throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "raw", "-o", "preallocation=full", "base.raw", String.valueOf(SIZE));
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 1M 1M", "base.raw");
        if (dataAtTheEnd) {
            Qemu.io(dir, "-f", "raw", "-c", "write -P 0x12 " + (8 * M + 4 * K) + " 4k",
                    "-c", "write -P 0x13 " + (SIZE - 512) + " 512", "base.raw");
        }
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base.raw", "-F", "raw",
                "top.qcow2");
        Qemu.io(dir, "-c", "write -c -P 0x21 0 4k", "-c", "write -P 0x22 68k 4k", "-c", "write -P 0x23 3M 64k",
                "-c", "write -c -P 0x24 4M 4k", "top.qcow2");
        ClonePlan plan = plan(Flattener.Options.qcow2().withFormat(format).unit());
        assertTrue(plan.clones().size() >= 2, "pieces before and after a read: " + plan.clones());
        assertTrue(plan.clones().get(0).segments().size() >= 3, "a piece of several segments: " + plan.clones());
        assertTrue(plan.reads().get(0)[0] == 0, "a read first: " + plan.reads());
    }

    private ClonePlan plan(long unit) throws IOException {
        try (Image top = Images.open(dir.resolve("top.qcow2").toString())) {
            long[] sizes = {Files.size(dir.resolve("top.qcow2")), Files.size(dir.resolve("base.raw"))};
            return ClonePlan.of(ChainMap.map(top), sizes, unit, top.virtualSize());
        }
    }

    /** Flattens top.qcow2 into {@code name}; with a null {@code cloner}, with --no-reflink. */
    private Path flatten(String name, String format, CopyingCloner cloner) throws IOException {
        Path out = dir.resolve(name);
        Flattener.Options o = Flattener.Options.qcow2().withFormat(format).withReflink(cloner != null);
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, out, o, Progress.NONE, (dest, sources) -> cloner.open(dest, sources));
        }
        return out;
    }

    /** Identical to the chain; a qcow2 output is clean and maps no cluster to a hole, a raw one has the virtual size. */
    private void assertTheChainAndClean(Path out, String format) throws IOException {
        String name = out.getFileName().toString();
        String cmp = Qemu.img(dir, "compare", "-f", "qcow2", "-F", format, "top.qcow2", name);
        assertTrue(cmp.contains("Images are identical."), name + ": " + cmp);
        if (format.equals("raw")) {
            try (Image top = Images.open(dir.resolve("top.qcow2").toString())) {
                assertEquals(top.virtualSize(), Files.size(out), name);
            }
            return;
        }
        CheckOracle check = CheckOracle.qemu(out);
        String verdict = name + ": " + check.counts() + ", first problem " + check.problems().stream().findFirst();
        assertEquals(0, check.exitCode(), verdict);
        assertEquals(0, check.count("corruptions") + check.count("leaks") + check.count("check-errors"), verdict);
        String map = Qemu.img(dir, "map", "--output=json", name);
        List<String> holes = map.lines().filter(l -> l.contains("\"zero\": true, \"data\": true")).toList();
        assertTrue(holes.isEmpty(), name + " maps clusters to holes: " + holes);
    }

    private long allocatedClusters(Path qcow2) {
        return CheckOracle.qemu(qcow2).count("allocated-clusters");
    }
}
