package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flatten whose clones the file system refuses: the output is still the chain, and clean. The
 * chain has what makes a refused piece dangerous: a raw base whose zeros are written (so they are
 * planned as clones, and the copy path then skips them), and a read before the pieces (so the
 * output's L2 table exists before a piece is tried, and nothing written later hides a mapping past
 * the end of the file). Each output is judged by qemu-img: compare against the chain, check with
 * no corruptions and no leaks, and no cluster mapped to a hole, which is where a refused piece's
 * zeros used to stay.
 */
class CloneFallbackTest {
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

    /** The scratch file of the reported case: 8 MiB of written zeros with 1 MiB of data. */
    private void reportedChain() {
        Qemu.img(dir, "create", "-q", "-f", "raw", "-o", "preallocation=full", "base.raw", "8M");
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 1M 1M", "base.raw");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2");
        Qemu.io(dir, "-c", "write -c -P 0x22 0 64k", "top.qcow2");
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
