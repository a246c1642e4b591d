package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which parts of a chain a flatten clones and which it reads, on chains made by qemu-img. Every
 * plan is also checked as a whole: clones and reads are disjoint, together they are exactly the
 * data ranges, clones are whole output units, and each segment's source bytes are the guest's.
 */
class ClonePlanTest {
    private static final long K = 1024;
    private static final long M = K * K;

    @TempDir
    Path dir;

    @Test
    void aBaseAndAnOverlayCloneAsOnePieceWithOneSegmentPerLayerRun() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x11 0 1M", "base.qcow2");
        overlay("base.qcow2", "qcow2", "top.qcow2", "");
        Qemu.io(dir, "-c", "write -P 0x22 60k 8k", "top.qcow2"); // copies up guest clusters 0 and 1
        ClonePlan plan = plan("top.qcow2", 64 * K);
        assertEquals(List.of(range(0, M)), ranges(plan.clones()));
        List<ClonePlan.Segment> s = plan.clones().get(0).segments();
        assertEquals(2, s.size(), s.toString());
        assertEquals(new ClonePlan.Segment(0, s.get(0).sourceOffset(), 0, 128 * K), s.get(0));
        assertEquals(new ClonePlan.Segment(1, s.get(1).sourceOffset(), 128 * K, M - 128 * K), s.get(1));
        assertTrue(plan.reads().isEmpty(), "nothing to read");
    }

    @Test
    void layersMixedWithinAnOutputClusterCloneTogetherWhenBlockAligned() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x11 0 1M", "base.qcow2");
        overlay("base.qcow2", "qcow2", "top.qcow2", "cluster_size=4096");
        Qemu.io(dir, "-c", "write -P 0x22 68k 4k", "top.qcow2");
        ClonePlan plan = plan("top.qcow2", 64 * K);
        assertEquals(List.of(range(0, M)), ranges(plan.clones()));
        List<ClonePlan.Segment> s = plan.clones().get(0).segments();
        assertEquals(List.of(1, 0, 1), s.stream().map(ClonePlan.Segment::depth).toList(), s.toString());
        assertEquals(68 * K, s.get(1).guest());
        assertEquals(4 * K, s.get(1).length());
    }

    @Test
    void subclustersSmallerThanABlockAreRead() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x11 0 1M", "base.qcow2");
        overlay("base.qcow2", "qcow2", "top.qcow2", "extended_l2=on"); // 2 KiB subclusters
        Qemu.io(dir, "-c", "write -P 0x22 130k 2k", "-c", "write -P 0x33 260k 4k", "top.qcow2");
        ClonePlan plan = plan("top.qcow2", 64 * K);
        // The 2 KiB subcluster at 130k makes its output cluster 128k..192k a read; 4 KiB at 260k clones.
        assertEquals(List.of(range(0, 128 * K), range(192 * K, M)), ranges(plan.clones()));
        assertEquals(List.of(range(128 * K, 192 * K)), plan.reads().stream().map(ClonePlanTest::range).toList());
        assertTrue(plan.clones().get(1).segments().stream().anyMatch(s -> s.depth() == 0 && s.guest() == 260 * K),
                "the 4 KiB subcluster run of the top is cloned: " + plan.clones().get(1));
    }

    @Test
    void compressedClustersAreReadAndZeroClustersNeitherReadNorCloned() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x11 0 1M", "-c", "write -c -P 0x12 1M 64k", "base.qcow2");
        overlay("base.qcow2", "qcow2", "top.qcow2", "");
        Qemu.io(dir, "-c", "write -z 256k 128k", "top.qcow2");
        ClonePlan plan = plan("top.qcow2", 64 * K);
        assertEquals(List.of(range(0, 256 * K), range(384 * K, M)), ranges(plan.clones()));
        assertEquals(List.of(range(M, M + 64 * K)), plan.reads().stream().map(ClonePlanTest::range).toList());
    }

    @Test
    void aRawBaseClonesAtItsGuestOffsetsAndItsPartialLastBlockIsRead() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "1M");
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 0 256k", "-c", "write -P 0x12 512k 512k", "base.raw");
        Qemu.img(dir, "resize", "-q", "-f", "raw", "base.raw", String.valueOf(M + 512));
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x13 1M 512", "base.raw");
        overlay("base.raw", "raw", "top.qcow2", "");
        ClonePlan plan = plan("top.qcow2", ClonePlan.BLOCK);
        assertEquals(List.of(range(0, 256 * K), range(512 * K, M)), ranges(plan.clones()));
        for (ClonePlan.Piece p : plan.clones()) {
            for (ClonePlan.Segment s : p.segments()) {
                assertEquals(1, s.depth());
                assertEquals(s.guest(), s.sourceOffset(), "raw: host offset is the guest offset");
            }
        }
        assertEquals(List.of(range(M, M + 512)), plan.reads().stream().map(ClonePlanTest::range).toList());
    }

    @Test
    void aShorterBackingFileClonesOnlyWhatItHolds() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "2M");
        Qemu.io(dir, "-c", "write -P 0x11 0 2M", "base.qcow2");
        overlay("base.qcow2", "qcow2", "top.qcow2", "");
        Qemu.img(dir, "resize", "-q", "top.qcow2", "6M");
        Qemu.io(dir, "-c", "write -P 0x22 4M 128k", "top.qcow2");
        ClonePlan plan = plan("top.qcow2", 64 * K);
        assertEquals(List.of(range(0, 2 * M), range(4 * M, 4 * M + 128 * K)), ranges(plan.clones()));
        assertEquals(1, plan.clones().get(0).segments().get(0).depth());
        assertEquals(0, plan.clones().get(1).segments().get(0).depth());
    }

    @Test
    void largerOutputClustersCloneOnlyWhereWhollyCovered() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "8M");
        Qemu.io(dir, "-c", "write -P 0x11 0 3M", "-c", "write -P 0x12 5M 1M", "base.qcow2");
        ClonePlan plan = plan("base.qcow2", 2 * M);
        assertEquals(List.of(range(0, 2 * M)), ranges(plan.clones()));
        // The data ranges, widened to 2 MiB clusters, meet at 4M and merge.
        assertEquals(List.of(range(2 * M, 6 * M)), plan.reads().stream().map(ClonePlanTest::range).toList());
    }

    @Test
    void longRunsAreCutIntoPiecesOfAtMostMaxPiece() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "200M");
        Qemu.io(dir, "-c", "write -P 0x11 0 150M", "base.qcow2");
        ClonePlan plan = plan("base.qcow2", 64 * K);
        assertEquals(List.of(range(0, 64 * M), range(64 * M, 128 * M), range(128 * M, 150 * M)),
                ranges(plan.clones()));
        assertEquals(1, plan.clones().get(0).segments().size(), "one contiguous host run, one segment");
    }

    @Test
    void misalignedHostOffsetsAreRead() {
        MapEntry e = new MapEntry(0, 64 * K, 0, true, false, true, 0x10000 + 512);
        ClonePlan plan = ClonePlan.of(List.of(e), new long[] {M}, 64 * K, 64 * K);
        assertTrue(plan.clones().isEmpty());
        assertEquals(List.of(range(0, 64 * K)), plan.reads().stream().map(ClonePlanTest::range).toList());
    }

    @Test
    void dataPastTheEndOfItsSourceFileIsRead() {
        // A layer's data cluster past its file's end reads as zeros: cloning would fail, so read it.
        MapEntry e = new MapEntry(0, 128 * K, 0, true, false, true, 0x30000);
        ClonePlan plan = ClonePlan.of(List.of(e), new long[] {0x40000}, 64 * K, 128 * K);
        assertEquals(List.of(range(0, 64 * K)), ranges(plan.clones()));
        assertEquals(List.of(range(64 * K, 128 * K)), plan.reads().stream().map(ClonePlanTest::range).toList());
    }

    @Test
    void readsFromAPieceOnAreAllDataFromThere() {
        MapEntry a = new MapEntry(0, 256 * K, 0, true, false, true, 0x10000);
        MapEntry z = new MapEntry(256 * K, 256 * K, 0, true, true, false, LayerStatus.NO_OFFSET);
        MapEntry b = new MapEntry(512 * K, 128 * K, 0, true, false, true, 0x50000);
        ClonePlan plan = ClonePlan.of(List.of(a, z, b), new long[] {M}, 64 * K, 640 * K);
        assertEquals(List.of(range(128 * K, 256 * K), range(512 * K, 640 * K)),
                plan.readsFrom(128 * K).stream().map(ClonePlanTest::range).toList());
    }

    private void overlay(String backing, String backingFormat, String name, String options) {
        List<String> args = new ArrayList<>(List.of("create", "-q", "-f", "qcow2", "-b", backing, "-F", backingFormat));
        if (!options.isEmpty()) {
            args.addAll(List.of("-o", options));
        }
        args.add(name);
        Qemu.img(dir, args.toArray(String[]::new));
    }

    /** The plan for flattening {@code top} into output units of {@code unit}, checked as a whole. */
    private ClonePlan plan(String top, long unit) throws IOException {
        try (Image src = Images.open(dir.resolve(top).toString())) {
            List<Path> files = Flattener.dataFiles(src);
            long[] sizes = files.stream().mapToLong(f -> f.toFile().length()).toArray();
            List<MapEntry> map = ChainMap.map(src);
            ClonePlan plan = ClonePlan.of(map, sizes, unit, src.virtualSize());
            checkWhole(src, files, plan, unit, ClonePlan.dataRanges(map, unit, src.virtualSize()));
            return plan;
        }
    }

    private static void checkWhole(Image src, List<Path> files, ClonePlan plan, long unit, List<long[]> data)
            throws IOException {
        List<long[]> both = new ArrayList<>(ranges(plan.clones()).stream().map(r -> new long[] {r.start, r.end}).toList());
        both.addAll(plan.reads());
        both.sort((x, y) -> Long.compare(x[0], y[0]));
        assertArrayEquals(merge(data).toArray(long[][]::new), merge(both).toArray(long[][]::new),
                "clones and reads together are the data ranges");
        for (int i = 1; i < both.size(); i++) {
            assertTrue(both.get(i - 1)[1] <= both.get(i)[0], "clones and reads are disjoint");
        }
        for (ClonePlan.Piece p : plan.clones()) {
            assertEquals(0, p.guest() % unit, "piece starts on a unit: " + p);
            assertEquals(0, p.length() % unit, "piece is whole units: " + p);
            assertTrue(p.length() <= ClonePlan.MAX_PIECE);
            long pos = p.guest();
            for (ClonePlan.Segment s : p.segments()) {
                assertEquals(pos, s.guest(), "segments cover the piece without gaps: " + p);
                assertEquals(0, s.sourceOffset() % ClonePlan.BLOCK);
                assertEquals(0, s.length() % ClonePlan.BLOCK);
                assertSourceIsGuest(src, files.get(s.depth()), s);
                pos = s.end();
            }
            assertEquals(p.end(), pos, "segments cover the piece: " + p);
        }
    }

    private static void assertSourceIsGuest(Image src, Path file, ClonePlan.Segment s) throws IOException {
        ByteBuffer guest = ByteBuffer.allocate((int) s.length());
        src.read(s.guest(), guest);
        ByteBuffer host = ByteBuffer.allocate((int) s.length());
        try (FileChannel ch = FileChannel.open(file)) {
            while (host.hasRemaining() && ch.read(host, s.sourceOffset() + host.position()) >= 0) {
                // read on
            }
        }
        assertEquals(guest.flip(), host.flip(), "bytes of " + file.getFileName() + " for " + s);
    }

    private static List<long[]> merge(List<long[]> ranges) {
        List<long[]> out = new ArrayList<>();
        for (long[] r : ranges) {
            if (!out.isEmpty() && out.get(out.size() - 1)[1] == r[0]) {
                out.get(out.size() - 1)[1] = r[1];
            } else {
                out.add(r.clone());
            }
        }
        return out;
    }

    record Range(long start, long end) {
    }

    private static Range range(long start, long end) {
        return new Range(start, end);
    }

    private static Range range(long[] r) {
        return new Range(r[0], r[1]);
    }

    private static List<Range> ranges(List<ClonePlan.Piece> pieces) {
        return pieces.stream().map(p -> new Range(p.guest(), p.end())).toList();
    }
}
