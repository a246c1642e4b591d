package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebase and commit on two copies of the same chain, one by qemu-img and one by us: the
 * guest content must come out the same, the links as set, and every file clean.
 */
class RebaseCommitTest {
    @TempDir
    Path root;
    Path ours;
    Path theirs;

    @BeforeEach
    void dirs() throws IOException {
        ours = Files.createDirectory(root.resolve("ours"));
        theirs = Files.createDirectory(root.resolve("theirs"));
    }

    /** Runs the same qemu-img/qemu-io setup in both directories. */
    private void both(String tool, String... args) {
        for (Path d : new Path[] {ours, theirs}) {
            if (tool.equals("img")) {
                Qemu.img(d, args);
            } else {
                Qemu.io(d, args);
            }
        }
    }

    /** base (4M, qcow2) <- mid <- top (6M, larger than its backing), each with data of its own. */
    private void chain() {
        both("img", "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        both("io", "-c", "write -P 0x11 0 3M", "base.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2");
        both("io", "-c", "write -P 0x22 1M 512k", "-c", "write -z 2M 128k", "-c", "write -c -P 0x23 3M 64k",
                "mid.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "6M");
        both("io", "-c", "write -P 0x33 1536k 100k", "-c", "write -P 0x34 5M 4k", "-c", "discard 0 64k", "top.qcow2");
    }

    private static void assertClean(Path dir, String file) {
        Qemu.assertClean(dir.resolve(file));
    }

    private void assertSameGuestView(String file) {
        String cmp = Qemu.img(root, "compare", "ours/" + file, "theirs/" + file);
        assertTrue(cmp.contains("Images are identical."), cmp);
    }

    /** Safe rebase of top.qcow2 onto base.qcow2 by both tools: top's guest view unchanged, the same as qemu's, clean. */
    private void rebaseTopOntoBaseAsQemuDoes() throws Exception {
        Qemu.img(ours, "convert", "-O", "raw", "top.qcow2", "before.raw");
        Qemu.img(theirs, "rebase", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Rebaser.rebase(ours.resolve("top.qcow2"), "base.qcow2", "qcow2", false, Progress.NONE);
        assertTrue(Qemu.img(ours, "compare", "top.qcow2", "before.raw").contains("Images are identical."));
        assertSameGuestView("top.qcow2");
        assertClean(ours, "top.qcow2");
    }

    @Test
    void safeRebaseDroppingTheMiddleLayerKeepsTheGuestViewAsQemuDoes() throws Exception {
        chain();
        rebaseTopOntoBaseAsQemuDoes();
        String info = Qemu.img(ours, "info", "--backing-chain", "--output=json", "top.qcow2");
        assertTrue(info.contains("\"backing-filename\": \"base.qcow2\""), info);
        assertFalse(info.contains("mid.qcow2"), "mid is out of the chain: " + info);
    }

    @Test
    void safeRebasePastAMiddleLayerShorterThanTheBaseKeepsItsZeros() throws Exception {
        // mid ends at 2M: above it the old chain reads zeros from 2M on, where base holds 0x11.
        both("img", "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        both("io", "-c", "write -P 0x11 0 4M", "base.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2", "2M");
        both("io", "-c", "write -P 0x22 512k 64k", "mid.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "4M");
        both("io", "-c", "write -P 0x33 3M 64k", "top.qcow2");
        rebaseTopOntoBaseAsQemuDoes();
    }

    @Test
    void safeRebaseWritesRunsOfDifferingClustersBrokenByEqualAndZeroOnesAsQemuDoes() throws Exception {
        // Differing clusters are written a run at a time: runs broken by a cluster equal to the new
        // backing's, by one that reads as zero, by the end of a 1 MiB read, and one at the image's end.
        both("img", "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        both("io", "-c", "write -P 0x11 0 4M", "base.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2");
        both("io", "-c", "write -P 0x22 0 256k", "-c", "write -P 0x11 256k 64k", "-c", "write -P 0x23 320k 128k",
                "-c", "write -z 448k 64k", "-c", "write -P 0x24 512k 64k", "-c", "write -P 0x25 896k 320k",
                "-c", "write -P 0x26 3968k 128k", "mid.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2");
        both("io", "-c", "write -P 0x33 128k 64k", "-c", "write -P 0x34 1M 64k", "top.qcow2");
        rebaseTopOntoBaseAsQemuDoes();
    }

    @Test
    void safeRebaseOntoNothingMakesAStandaloneImage() throws Exception {
        chain();
        Qemu.img(ours, "convert", "-O", "raw", "top.qcow2", "before.raw");
        Qemu.img(theirs, "rebase", "-b", "", "top.qcow2");
        Rebaser.rebase(ours.resolve("top.qcow2"), "", null, false, Progress.NONE);
        assertTrue(Qemu.img(ours, "compare", "top.qcow2", "before.raw").contains("Images are identical."));
        assertSameGuestView("top.qcow2");
        assertClean(ours, "top.qcow2");
        assertFalse(Qemu.img(ours, "info", "top.qcow2").contains("backing file"));
    }

    @Test
    void safeRebaseOntoAnUnrelatedRawImage() throws Exception {
        chain();
        both("img", "create", "-q", "-f", "raw", "other.raw", "2M");
        both("io", "-f", "raw", "-c", "write -P 0x77 0 2M", "other.raw");
        Qemu.img(theirs, "rebase", "-b", "other.raw", "-F", "raw", "top.qcow2");
        Rebaser.rebase(ours.resolve("top.qcow2"), "other.raw", "raw", false, Progress.NONE);
        assertSameGuestView("top.qcow2");
        assertClean(ours, "top.qcow2");
        assertTrue(Qemu.img(ours, "info", "--output=json", "top.qcow2").contains("\"backing-filename-format\": \"raw\""));
    }

    @Test
    void unsafeRebaseFollowsAMovedBackingFileAndKeepsOtherHeaderExtensions() throws Exception {
        chain();
        Qemu.img(ours, "bitmap", "--add", "top.qcow2", "b0");
        Qemu.img(ours, "convert", "-O", "raw", "top.qcow2", "before.raw");
        Files.createDirectory(ours.resolve("moved"));
        Files.move(ours.resolve("mid.qcow2"), ours.resolve("moved/mid.qcow2"));
        Qemu.img(ours.resolve("moved"), "rebase", "-u", "-b", "../base.qcow2", "-F", "qcow2", "mid.qcow2");
        Rebaser.rebase(ours.resolve("top.qcow2"), "moved/mid.qcow2", "qcow2", true, Progress.NONE);
        String info = Qemu.img(ours, "info", "--output=json", "top.qcow2");
        assertTrue(info.contains("\"backing-filename\": \"moved/mid.qcow2\""), info);
        assertTrue(info.contains("\"name\": \"b0\""), "the bitmap extension survives: " + info);
        assertTrue(Qemu.img(ours, "compare", "top.qcow2", "before.raw").contains("Images are identical."));
        assertClean(ours, "top.qcow2");
    }

    @Test
    void commitMergesIntoALargerBackingAndEmptiesTheOverlayAsQemuDoes() throws Exception {
        chain();
        Qemu.img(ours, "convert", "-O", "raw", "top.qcow2", "before.raw");
        Qemu.img(theirs, "commit", "top.qcow2");
        Committer.commit(ours.resolve("top.qcow2"), false, Progress.NONE);
        assertSameGuestView("mid.qcow2");
        assertSameGuestView("top.qcow2");
        assertTrue(Qemu.img(ours, "compare", "top.qcow2", "before.raw").contains("Images are identical."));
        assertTrue(Qemu.img(ours, "info", "--output=json", "mid.qcow2").contains("\"virtual-size\": 6291456"),
                "the backing file grew to the overlay's size");
        assertEquals(0, allocatedAtDepth0(ours, "top.qcow2"), "the overlay is empty");
        assertClean(ours, "mid.qcow2");
        assertClean(ours, "top.qcow2");
    }

    /** The empty replacement is written while the data is copied: a commit that fails leaves none behind. */
    @Test
    void aCommitThatFailsLeavesTheOverlayAndNoReplacementBehind() throws Exception {
        chain();
        byte[] top = Files.readAllBytes(ours.resolve("top.qcow2"));
        try (var ch = java.nio.channels.FileChannel.open(ours.resolve("mid.qcow2"),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {2}), 79); // incompatible feature bit 1: corrupt
        }
        ImageException e = assertThrows(ImageException.class,
                () -> Committer.commit(ours.resolve("top.qcow2"), false, Progress.NONE));
        assertTrue(e.getMessage().contains("does not write to it"), "refused by the writer, after the replacement started: " + e.getMessage());
        assertArrayEquals(top, Files.readAllBytes(ours.resolve("top.qcow2")), "the overlay is untouched");
        try (Stream<Path> files = Files.list(ours)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".partial")).toList());
        }
        assertClean(ours, "top.qcow2");
    }

    @Test
    void commitWithKeepLeavesTheOverlayAsItIs() throws Exception {
        chain();
        long before = Files.size(ours.resolve("top.qcow2"));
        Qemu.img(theirs, "commit", "-d", "top.qcow2");
        Committer.commit(ours.resolve("top.qcow2"), true, Progress.NONE);
        assertSameGuestView("mid.qcow2");
        assertEquals(before, Files.size(ours.resolve("top.qcow2")));
        assertClean(ours, "mid.qcow2");
    }

    @Test
    void commitIntoARawBase() throws Exception {
        both("img", "create", "-q", "-f", "raw", "base.raw", "2M");
        both("io", "-f", "raw", "-c", "write -P 0x44 0 2M", "base.raw");
        both("img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2");
        both("io", "-c", "write -P 0x55 100k 300k", "-c", "write -z 1M 64k", "top.qcow2");
        Qemu.img(theirs, "commit", "top.qcow2");
        Committer.commit(ours.resolve("top.qcow2"), false, Progress.NONE);
        assertSameGuestView("base.raw");
        assertSameGuestView("top.qcow2");
        assertClean(ours, "top.qcow2"); // emptied by the commit; the raw base has nothing to check
    }

    @Test
    void ourOwnChainCommitsAndRebasesLikeQemus() throws Exception {
        // A chain made by our writer, committed by qemu-img in one copy and by us in the other.
        for (Path d : new Path[] {ours, theirs}) {
            try (Qcow2Writer w = Qcow2Writer.create(d.resolve("full.qcow2"), CreateOptions.of(4 << 20))) {
                w.write(0, java.nio.ByteBuffer.wrap(new byte[3 << 20]).put(0, (byte) 1).put(2 << 20, (byte) 2));
            }
            try (Qcow2Writer w = Qcow2Writer.create(d.resolve("inc.qcow2"),
                    CreateOptions.of(4 << 20).withBacking("full.qcow2", "qcow2"))) {
                w.write(1 << 20, java.nio.ByteBuffer.wrap(new byte[] {9, 9, 9}));
                w.writeZeroes(2 << 20, 64 << 10);
            }
            assertClean(d, "full.qcow2");
            assertClean(d, "inc.qcow2");
        }
        Qemu.img(theirs, "commit", "inc.qcow2");
        Committer.commit(ours.resolve("inc.qcow2"), false, Progress.NONE);
        assertSameGuestView("full.qcow2");
        assertClean(ours, "full.qcow2");
        assertClean(ours, "inc.qcow2");
    }

    private static long allocatedAtDepth0(Path dir, String file) {
        String map = Qemu.img(dir, "map", "--output=json", file);
        return Stream.of(map.split("\n")).filter(l -> l.contains("\"depth\": 0") && l.contains("\"present\": true"))
                .count();
    }
}
