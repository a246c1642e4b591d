package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.check.CheckOracle;
import dev.virtchain.qcow2.format.ImagePoker;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.MapOracle;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two adjacent L2 entries that name the same compressed cluster: qemu reads both guest clusters
 * from it, and qemu-img check calls the image clean (the host cluster's refcount counts one
 * reference per entry, and both entries lie in the same host cluster). The reader once merged
 * the two entries into one run and decompressed a single cluster into it
 * (IndexOutOfBoundsException). Built with {@code qemu-img convert -c}, then L2 entry 1 set to
 * entry 0; each case asks qemu-img the same question and expects our answer to be its answer.
 */
class SharedCompressedClusterTest {
    @TempDir
    Path dir;

    private long cs;

    /** zlib with qemu's default clusters, zstd with extended L2 entries, and the smallest clusters. */
    static Stream<Arguments> layouts() {
        return Stream.of(Arguments.of("zlib", 16, false), Arguments.of("zstd", 16, true), Arguments.of("zlib", 9, false));
    }

    /**
     * shared.qcow2 of 8 clusters: 0, 1 and 2 compressed (patterns 0x41, 0x42, 0x43), the rest
     * unallocated; then entry 1 names entry 0's compressed cluster. expected.raw is what qemu reads.
     */
    private Path shared(String type, int clusterBits, boolean extendedL2) throws IOException {
        cs = 1L << clusterBits;
        Qemu.img(dir, "create", "-q", "-f", "raw", "src.raw", Long.toString(8 * cs));
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x41 0 " + cs, "-c", "write -P 0x42 " + cs + " " + cs,
                "-c", "write -P 0x43 " + 2 * cs + " " + cs, "src.raw");
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=" + cs + ",compression_type="
                + type + ",extended_l2=" + (extendedL2 ? "on" : "off"), "src.raw", "shared.qcow2");
        Path img = dir.resolve("shared.qcow2");
        try (ImagePoker p = new ImagePoker(img)) {
            long first = p.l2Entry(0, 0);
            assertTrue((first & L2Entry.OFLAG_COMPRESSED) != 0, "qemu-img convert -c compressed cluster 0");
            p.setL2Entry(0, 1, first);
        }
        Qemu.img(dir, "convert", "-O", "raw", "shared.qcow2", "expected.raw");
        byte[] expected = Files.readAllBytes(dir.resolve("expected.raw"));
        assertEquals(0x41, expected[(int) (2 * cs - 1)], "qemu reads guest cluster 1 from cluster 0's data");
        return img;
    }

    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void bothGuestClustersReadTheSharedDataAsQemuReadsThem(String type, int clusterBits, boolean ext)
            throws IOException {
        Path img = shared(type, clusterBits, ext);
        byte[] expected = Files.readAllBytes(dir.resolve("expected.raw"));
        try (Image ours = Images.open(img.toString())) {
            ByteBuffer all = ByteBuffer.allocate(expected.length);
            ours.read(0, all);
            assertArrayEquals(expected, all.array(), "one read of the whole image");
            // A read from the middle of cluster 0 to the middle of cluster 2 crosses both shared entries.
            ByteBuffer across = ByteBuffer.allocate((int) (2 * cs));
            ours.read(cs / 2, across);
            for (int i = 0; i < across.capacity(); i++) {
                assertEquals(expected[(int) (cs / 2) + i], across.get(i), "byte " + (cs / 2 + i));
            }
        }
    }

    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void theMapIsQemuImgMaps(String type, int clusterBits, boolean ext) throws IOException {
        Path img = shared(type, clusterBits, ext);
        List<MapEntry> theirs = MapOracle.qemu(img, 0, 8 * cs);
        try (Image ours = Images.open(img.toString())) {
            assertEquals(theirs, ChainMap.map(ours));
        }
    }

    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void checkCallsItCleanAsQemuImgDoes(String type, int clusterBits, boolean ext) throws IOException {
        Path img = shared(type, clusterBits, ext);
        CheckOracle theirs = CheckOracle.qemu(img);
        assertEquals(0, theirs.exitCode(), "qemu-img check: " + theirs);
        assertEquals(0, theirs.count("corruptions") + theirs.count("leaks"), "qemu-img check: " + theirs);
        assertEquals(3, theirs.count("compressed-clusters"), "qemu-img check: " + theirs);
        assertEquals(theirs, CheckOracle.ours(img));
    }

    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void compareGivesQemuImgComparesVerdicts(String type, int clusterBits, boolean ext) throws IOException {
        shared(type, clusterBits, ext);
        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=" + cs + ",compression_type="
                + type, "expected.raw", "recompressed.qcow2");
        assertSameVerdictAsQemu(false, "shared.qcow2", "expected.raw", "Images are identical.");
        assertSameVerdictAsQemu(false, "expected.raw", "shared.qcow2", "Images are identical.");
        assertSameVerdictAsQemu(false, "shared.qcow2", "src.raw", "Content mismatch at offset " + cs + "!");
        assertSameVerdictAsQemu(true, "shared.qcow2", "recompressed.qcow2", "Images are identical.");
        assertSameVerdictAsQemu(true, "shared.qcow2", "expected.raw", "Strict mode: Offset 0 block status mismatch!");
    }

    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2} compress={3}")
    @CsvSource({"zlib, 16, false, false", "zlib, 16, false, true", "zstd, 16, true, true", "zlib, 9, false, true"})
    void aFlattenIsCleanAndReadsAsQemuReadsTheSharedImage(String type, int clusterBits, boolean ext, boolean compress)
            throws IOException {
        Path img = shared(type, clusterBits, ext);
        Path out = dir.resolve("flat.qcow2");
        int ctype = type.equals("zstd") ? Qcow2Header.COMPRESSION_ZSTD : Qcow2Header.COMPRESSION_ZLIB;
        try (Image src = Images.open(img.toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2().withClusterBits(clusterBits)
                    .withCompression(compress, ctype), Progress.NONE);
        }
        assertCleanAndReadsAsExpected("flat.qcow2");
    }

    /** Commit writes part of guest cluster 1 into the shared image: the entry gets its own cluster, the refcount drops by one. */
    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void committingIntoOneOfTheSharingClustersLeavesTheImageClean(String type, int clusterBits, boolean ext)
            throws IOException {
        shared(type, clusterBits, ext);
        overlayWith("write -P 0x51 " + (cs + cs / 4) + " " + cs / 2);
        Committer.commit(dir.resolve("top.qcow2"), true, Progress.NONE);
        assertCleanAndReadsAsExpected("shared.qcow2");
        assertSameVerdictAsQemu(false, "shared.qcow2", "top.qcow2", "Images are identical.");
    }

    /** Rebasing an overlay off the shared image copies what the overlay read through it, both sharing clusters included. */
    @ParameterizedTest(name = "{0} clusterBits={1} extendedL2={2}")
    @MethodSource("layouts")
    void rebasingAnOverlayOffTheSharedImageCopiesBothClusters(String type, int clusterBits, boolean ext)
            throws IOException {
        shared(type, clusterBits, ext);
        overlayWith("write -P 0x51 " + (2 * cs) + " " + cs);
        Rebaser.rebase(dir.resolve("top.qcow2"), "", null, false, Progress.NONE);
        assertCleanAndReadsAsExpected("top.qcow2");
    }

    /** top.qcow2 over shared.qcow2, with one qemu-io write; expected.raw becomes what qemu reads from it. */
    private void overlayWith(String write) {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "shared.qcow2", "-F", "qcow2", "-o", "cluster_size=" + cs,
                "top.qcow2");
        Qemu.io(dir, "-c", write, "top.qcow2");
        Qemu.img(dir, "convert", "-O", "raw", "top.qcow2", "expected.raw");
    }

    /** qemu-img check finds nothing, and qemu-img and our reader both read expected.raw from {@code name}. */
    private void assertCleanAndReadsAsExpected(String name) throws IOException {
        CheckOracle check = CheckOracle.qemu(dir.resolve(name));
        assertEquals(0, check.exitCode(), name + ": qemu-img check: " + check);
        assertEquals(0, check.count("corruptions") + check.count("leaks"), name + ": qemu-img check: " + check);
        String cmp = Qemu.img(dir, "compare", "-F", "raw", name, "expected.raw");
        assertTrue(cmp.contains("Images are identical."), name + ": " + cmp);
        byte[] expected = Files.readAllBytes(dir.resolve("expected.raw"));
        try (Image ours = Images.open(dir.resolve(name).toString())) {
            ByteBuffer all = ByteBuffer.allocate(expected.length);
            ours.read(0, all);
            assertArrayEquals(expected, all.array(), name + " read with ours");
        }
    }

    /** Our exit code and verdict line are qemu-img compare's, and that verdict is {@code expected}. */
    private void assertSameVerdictAsQemu(boolean strict, String a, String b, String expected) throws IOException {
        assertEquals(expected, CompareOracle.assertSameAsQemu(dir, strict, a, b));
    }
}
