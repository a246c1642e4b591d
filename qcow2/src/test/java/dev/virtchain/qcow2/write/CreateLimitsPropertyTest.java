package dev.virtchain.qcow2.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.check.CheckOracle;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.ops.Committer;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.MapOracle;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * A new image is what {@code qemu-img create} makes with the same options, for every cluster size
 * (512 B to 2 MiB), refcount width (1 to 64 bits) and L2 entry kind, at sizes either side of where
 * a structure stops fitting: the L1 table in one cluster, the first metadata in one refcount block
 * (512-byte clusters did not fit it above about 0.5 GiB: ArrayIndexOutOfBoundsException), the
 * refcount blocks in one refcount table cluster, and the L1 table in qemu's 32 MiB cap, past which
 * both refuse the size. Both images are clean for qemu-img check and for ours, have the same
 * {@code qemu-img info} and end at the same offset (ours no later where the refcount table grows);
 * then a write to the last guest sector through our writer leaves the image clean and readable by qemu.
 */
class CreateLimitsPropertyTest {
    private static final long MAX_L1_ENTRIES = Qcow2Header.MAX_L1_BYTES / 8;
    /** Up to this many refcount blocks qemu-img create takes well under a second. */
    private static final long QEMU_QUICK_REFCOUNT_BLOCKS = 80;

    /**
     * The largest sparse raw file every file system the tests run on can hold: ext4 with 4 KiB
     * blocks stops at 16 TiB - 4 KiB ("File too large"). Larger images are judged by qemu-io's read
     * of the last sector and by the map of their last L2 tables' ranges alone.
     */
    private static final long LARGEST_RAW_FILE = (1L << 44) - 4096;

    /** Where a structure of a new image stops fitting; {@link #ANYWHERE} is any size below the cap. */
    enum Limit { L1_IN_ONE_CLUSTER, METADATA_IN_ONE_REFCOUNT_BLOCK, BLOCKS_IN_ONE_TABLE_CLUSTER, SIZE_CAP, ANYWHERE }

    record Layout(int clusterBits, int refcountOrder, boolean extendedL2, Limit limit, long size) {
        long clusterSize() {
            return 1L << clusterBits;
        }

        String qemuOptions() {
            return "cluster_size=" + clusterSize() + ",refcount_bits=" + (1 << refcountOrder) + ",extended_l2="
                    + (extendedL2 ? "on" : "off");
        }

        CreateOptions createOptions() {
            return CreateOptions.of(size).withClusterBits(clusterBits).withRefcountOrder(refcountOrder)
                    .withExtendedL2(extendedL2);
        }
    }

    @Property(tries = 40, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
    void aNewImageIsTheImageQemuImgCreates(@ForAll("layouts") Layout l) throws IOException {
        Statistics.label("limit").collect(l.limit());
        Statistics.label("cluster size").collect(l.clusterSize() < 4096 ? "< 4 KiB" : l.clusterSize() < 65536
                ? "4..32 KiB" : ">= 64 KiB");
        inTemporaryDirectory(dir -> createBothAndCompare(dir, l));
    }

    /** The fuzzing campaign's case: the L1 table's 512 clusters do not fit the first refcount block's 256. */
    @Example
    void aGibibyteWith512ByteClustersOutgrowsTheFirstRefcountBlock() throws IOException {
        aNewImageIsTheImageQemuImgCreates(new Layout(9, 4, false, Limit.METADATA_IN_ONE_REFCOUNT_BLOCK, 1L << 30));
    }

    /** 4 KiB clusters with 64-bit refcounts: the first block counts 512 clusters, the L1 table of 1 TiB needs 512. */
    @Example
    void aTebibyteWith4KiBClustersAnd64BitRefcountsOutgrowsTheFirstRefcountBlock() throws IOException {
        aNewImageIsTheImageQemuImgCreates(new Layout(12, 6, false, Limit.METADATA_IN_ONE_REFCOUNT_BLOCK, 1L << 40));
    }

    /** 512-byte clusters with 64-bit refcounts: the 65 refcount blocks of a 7.9 GiB image outgrow one table cluster. */
    @Example
    void sixtyFiveRefcountBlocksOutgrowOneRefcountTableCluster() throws IOException {
        long size = threshold(9, 6, false, Limit.BLOCKS_IN_ONE_TABLE_CLUSTER) + 64L * perL2(9, false);
        aNewImageIsTheImageQemuImgCreates(new Layout(9, 6, false, Limit.BLOCKS_IN_ONE_TABLE_CLUSTER, size));
    }

    /**
     * 512-byte clusters with 64-bit refcounts at qemu's largest size: 1,025 refcount blocks in a
     * 17-cluster table (too slow for qemu-img create: judged by qemu-img check).
     */
    @Example
    void theLargestImageWith512ByteClustersAnd64BitRefcountsNeedsARefcountTableOfManyClusters() throws IOException {
        aNewImageIsTheImageQemuImgCreates(new Layout(9, 6, false, Limit.SIZE_CAP, 128L << 30));
    }

    /**
     * 128 KiB clusters: one L1 cluster maps 32 TiB, more than a raw file on ext4 can hold (CI
     * failed writing the expected raw image: "File too large").
     */
    @Example
    void thirtyTwoTebibytesWith128KiBClustersFillOneL1Cluster() throws IOException {
        aNewImageIsTheImageQemuImgCreates(new Layout(17, 4, false, Limit.L1_IN_ONE_CLUSTER,
                threshold(17, 4, false, Limit.L1_IN_ONE_CLUSTER)));
    }

    /** Commit empties the overlay by creating it anew with its layout: the same limit, reached through commit. */
    @Example
    void aCommitEmptiesAGibibyteOverlayWith512ByteClusters() throws IOException {
        inTemporaryDirectory(dir -> {
            Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "base.qcow2", "1G");
            Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "base.qcow2", "-F", "qcow2",
                    "top.qcow2");
            Qemu.io(dir, "-c", "write -P 0x61 1023M 64k", "top.qcow2");
            Committer.commit(dir.resolve("top.qcow2"), false, Progress.NONE);
            assertEquals(0, assertClean(dir.resolve("top.qcow2")).count("allocated-clusters"), "the overlay is empty");
            assertClean(dir.resolve("base.qcow2"));
            Qemu.io(dir, "-c", "read -P 0x61 1023M 64k", "-c", "read -P 0 0 1023M", "top.qcow2");
            assertTrue(Qemu.img(dir, "compare", "top.qcow2", "base.qcow2").contains("Images are identical."));
        });
    }

    @FunctionalInterface
    private interface InDirectory {
        void run(Path dir) throws IOException;
    }

    /** jqwik has no @TempDir: a directory of our own, removed afterwards. */
    private static void inTemporaryDirectory(InDirectory body) throws IOException {
        Path dir = Files.createTempDirectory("qcow2-create");
        try {
            body.run(dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void createBothAndCompare(Path dir, Layout l) throws IOException {
        Path ours = dir.resolve("ours.qcow2");
        Qemu.Result theirs = l.size() > maxSize(l) || refcountBlocks(l) <= QEMU_QUICK_REFCOUNT_BLOCKS
                ? Qemu.run(dir, "qemu-img", "create", "-q", "-f", "qcow2", "-o", l.qemuOptions(), "theirs.qcow2",
                        Long.toString(l.size()))
                : null;
        if (l.size() > maxSize(l)) {
            assertTrue(theirs.stderr().contains("The image size is too large"), "qemu-img create: " + theirs);
            ImageException e = assertThrows(ImageException.class, () -> Qcow2Writer.create(ours, l.createOptions()));
            assertEquals(ours + ": size " + l.size() + " is too large for " + l.clusterSize() + "-byte clusters"
                    + " (at most " + maxSize(l) + ")", e.getMessage());
            assertFalse(Files.exists(ours), "nothing is left behind");
            return;
        }
        if (theirs != null) {
            assertEquals(0, theirs.exitCode(), "qemu-img create: " + theirs);
        }
        Qcow2Writer.create(ours, l.createOptions()).close();

        CheckOracle ourCheck = assertClean(ours);
        if (theirs != null) {
            assertLikeQemuImgCreates(dir, l, ourCheck);
        }
        if (l.size() >= 1024) {
            assertTheWriterCarriesOn(dir, l);
        }
    }

    /** Clean, the same info and content, and laid out alike: ours.qcow2 as theirs.qcow2. */
    private static void assertLikeQemuImgCreates(Path dir, Layout l, CheckOracle ourCheck) throws IOException {
        CheckOracle theirCheck = assertClean(dir.resolve("theirs.qcow2"));
        long ourEnd = ourCheck.count("image-end-offset");
        long theirEnd = theirCheck.count("image-end-offset");
        if (refcountBlocks(l) <= l.clusterSize() / 8) {
            assertEquals(theirEnd, ourEnd, "laid out as qemu-img create lays it out");
        } else {
            // A refcount table that grows moves differently in qemu; ours takes no more room.
            assertTrue(ourEnd <= theirEnd, "ends at " + ourEnd + ", qemu-img create's at " + theirEnd);
        }
        assertEquals(info(dir, "theirs.qcow2"), info(dir, "ours.qcow2"), "qemu-img info");
        if (quickToCompare(l)) {
            assertTrue(Qemu.img(dir, "compare", "ours.qcow2", "theirs.qcow2").contains("Images are identical."));
        }
    }

    /** The writer carries on from the new layout: an L2 table and a data cluster at the far end. */
    private static void assertTheWriterCarriesOn(Path dir, Layout l) throws IOException {
        Path ours = dir.resolve("ours.qcow2");
        long last = l.size() - 512;
        byte[] sector = new byte[512];
        Arrays.fill(sector, (byte) 0x5c);
        try (Qcow2Writer w = Qcow2Writer.open(ours)) {
            w.write(last, ByteBuffer.wrap(sector));
        }
        assertClean(ours);
        Qemu.io(dir, "-c", "read -P 0x5c " + last + " 512", "-c", "read -P 0 0 512", "ours.qcow2");
        if (quickToCompare(l) && l.size() <= LARGEST_RAW_FILE) {
            try (FileChannel raw = FileChannel.open(dir.resolve("expected.raw"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                raw.write(ByteBuffer.wrap(sector), last);
            }
            assertTrue(Qemu.img(dir, "compare", "-F", "raw", "ours.qcow2", "expected.raw")
                    .contains("Images are identical."));
        }
        long from = Math.max(0, last - perL2(l.clusterBits(), l.extendedL2()));
        try (Image img = Images.open(ours.toString())) {
            assertEquals(MapOracle.qemu(ours, from, l.size() - from), MapOracle.ours(img, from, l.size() - from),
                    "the map of the last two L2 tables' ranges");
        }
    }

    /**
     * Whether qemu-img compare (and map) of the whole image takes well under a second: they ask
     * for block status once per L2 table's range, and an unallocated range never spans more.
     */
    private static boolean quickToCompare(Layout l) {
        return Qcow2Header.l1EntriesFor(l.size(), l.clusterBits(), l.extendedL2()) <= 16384;
    }

    /** qemu-img check finds nothing wrong, and our checker says what qemu-img check says. */
    private static CheckOracle assertClean(Path image) throws IOException {
        CheckOracle theirs = CheckOracle.qemu(image);
        assertEquals(0, theirs.exitCode(), image.getFileName() + ": qemu-img check: " + theirs);
        assertEquals(0, theirs.count("corruptions") + theirs.count("leaks") + theirs.count("check-errors"),
                image.getFileName() + ": qemu-img check: " + theirs);
        assertEquals(theirs, CheckOracle.ours(image), image.getFileName() + ": our check");
        return theirs;
    }

    /** qemu-img info's JSON without the lines that name the file or measure its blocks on disk. */
    private static String info(Path dir, String image) {
        return Qemu.img(dir, "info", "--output=json", image).lines()
                .filter(line -> !line.contains("\"filename\"") && !line.contains("\"actual-size\""))
                .collect(Collectors.joining("\n"));
    }

    /**
     * The refcount blocks a new image needs, each a cluster sync in qemu-img create: 1,025 of
     * them (512-byte clusters, 64-bit refcounts, 128 GiB) take it over a minute. Above this many
     * only our image is made, and qemu-img check alone judges it.
     */
    private static long refcountBlocks(Layout l) {
        long cs = l.clusterSize();
        long l1Clusters = (Qcow2Header.l1EntriesFor(l.size(), l.clusterBits(), l.extendedL2()) * 8 + cs - 1) / cs;
        long perBlock = (cs * 8) >>> l.refcountOrder();
        long blocks = 1;
        long counted;
        do { // the blocks count themselves too
            counted = blocks;
            blocks = (HeaderEncoder.EMPTY_IMAGE_CLUSTERS - 1 + l1Clusters + counted + perBlock - 1) / perBlock;
        } while (blocks != counted);
        return blocks;
    }

    /** Bytes of guest data one L2 table maps. */
    private static long perL2(int clusterBits, boolean extendedL2) {
        long cs = 1L << clusterBits;
        return cs / (extendedL2 ? 16 : 8) * cs;
    }

    private static long maxSize(Layout l) {
        return MAX_L1_ENTRIES * perL2(l.clusterBits(), l.extendedL2());
    }

    /**
     * The size at which {@code limit} is reached, or -1 when it lies past the size cap. L1 tables
     * of a whole number of clusters: {@code k} clusters of L1 table map {@code k * cs / 8} L2 tables.
     */
    static long threshold(int clusterBits, int refcountOrder, boolean extendedL2, Limit limit) {
        long cs = 1L << clusterBits;
        long l1PerCluster = cs / 8;
        long perBlock = (cs * 8) >>> refcountOrder;
        long l1Clusters = switch (limit) {
            case L1_IN_ONE_CLUSTER -> 1;
            // The header, the refcount table and the block itself share the block with the L1 table.
            case METADATA_IN_ONE_REFCOUNT_BLOCK -> perBlock - HeaderEncoder.EMPTY_IMAGE_CLUSTERS;
            // One table cluster of block pointers: the blocks count the L1 table, the three first clusters and themselves.
            case BLOCKS_IN_ONE_TABLE_CLUSTER -> l1PerCluster * perBlock - HeaderEncoder.EMPTY_IMAGE_CLUSTERS - l1PerCluster;
            case SIZE_CAP -> MAX_L1_ENTRIES / l1PerCluster;
            case ANYWHERE -> 0;
        };
        if (l1Clusters <= 0 || l1Clusters * l1PerCluster > MAX_L1_ENTRIES) {
            return -1;
        }
        return l1Clusters * l1PerCluster * perL2(clusterBits, extendedL2);
    }

    @Provide
    Arbitrary<Layout> layouts() {
        // Small clusters reach more limits below the size cap: drawn three times as often.
        Arbitrary<Integer> clusterBits = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.integers().between(Qcow2Header.MIN_CLUSTER_BITS, 12)),
                Tuple.of(1, Arbitraries.integers().between(13, Qcow2Header.MAX_CLUSTER_BITS)));
        Arbitrary<Integer> refcountOrder = Arbitraries.integers().between(0, 6);
        return Combinators.combine(clusterBits, refcountOrder, Arbitraries.of(false, true))
                .flatAs((bits, order, ext) -> sizes(bits, order, ext && bits >= Qcow2Header.MIN_EXTENDED_L2_CLUSTER_BITS));
    }

    /** Sizes at each reachable limit, a sector, an L2 table's span or an L1 cluster's span either side. */
    private static Arbitrary<Layout> sizes(int bits, int order, boolean ext) {
        long l2Span = perL2(bits, ext);
        long l1ClusterSpan = (1L << bits) / 8 * l2Span;
        List<Limit> reachable = new ArrayList<>();
        for (Limit limit : Limit.values()) {
            if (limit == Limit.ANYWHERE || threshold(bits, order, ext, limit) > 0) {
                reachable.add(limit);
            }
        }
        long cap = threshold(bits, order, ext, Limit.SIZE_CAP);
        return Arbitraries.of(reachable).flatMap(limit -> {
            if (limit == Limit.ANYWHERE) {
                return Arbitraries.longs().between(0, Math.min(cap, 1L << 44) / 512).map(s -> new Layout(bits, order,
                        ext, limit, s * 512));
            }
            long at = threshold(bits, order, ext, limit);
            return Combinators.combine(Arbitraries.of(-1L, 0L, 1L), Arbitraries.of(-1L, 0L, 1L),
                    Arbitraries.of(-2L, -1L, 0L, 1L, 2L))
                    .as((sectors, l2s, l1s) -> at + sectors * 512 + l2s * l2Span + l1s * l1ClusterSpan)
                    .filter(s -> s > 0)
                    .map(s -> new Layout(bits, order, ext, limit, s));
        });
    }
}
