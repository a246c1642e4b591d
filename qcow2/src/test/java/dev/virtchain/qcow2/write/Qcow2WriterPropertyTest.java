package dev.virtchain.qcow2.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random sequences of writes, zero writes, compressed writes, flushes and reopens against an
 * in-memory model of the disk, on random layouts (cluster size, extended L2, refcount width,
 * backing file). After each sequence our reader and {@code qemu-img convert -O raw} must both
 * read the model, and {@code qemu-img check} must find no corruption and no leak. Offsets and
 * lengths lean towards cluster, subcluster and sector boundaries and one byte either side,
 * where partial-cluster copy-on-write and bitmap updates go wrong; on failure jqwik shrinks
 * the sequence to a minimal one.
 */
class Qcow2WriterPropertyTest {
    /** Virtual sizes stay small (qemu-img runs on every try) but span several L2 tables at 512 B clusters. */
    private static final long MAX_SIZE = 3L << 20;

    enum BackingKind { NONE, RAW, QCOW2 }

    /** What the image looks like; the backing file's content comes from {@code backingSeed}. */
    record Layout(int clusterBits, boolean extendedL2, int refcountOrder, long size, BackingKind backing,
            long backingSize, long backingSeed) {
        long clusterSize() {
            return 1L << clusterBits;
        }

        /** Sizes whose multiples (±1) offsets and lengths lean towards. */
        List<Long> units() {
            List<Long> u = new ArrayList<>(List.of(clusterSize(), 512L));
            if (extendedL2) {
                u.add(clusterSize() / 32);
            }
            return u;
        }
    }

    sealed interface Op permits Write, Zero, Compressed, Flush {
    }

    /** Random bytes from {@code seed}; offsets and lengths are clamped to the image when applied. */
    record Write(long offset, long length, int seed) implements Op {
    }

    record Zero(long offset, long length) implements Op {
    }

    /** A compressed cluster, applied only to a cluster nothing has touched yet (the writer's precondition). */
    record Compressed(long cluster, int seed) implements Op {
    }

    record Flush() implements Op {
    }

    /** Batches of operations; the image is closed and reopened with {@link Qcow2Writer#open} between batches. */
    record Scenario(Layout layout, List<List<Op>> batches) {
    }

    @Property(shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void writesThroughTheWriterReadBackAsTheModel(@ForAll("scenarios") Scenario s) throws IOException {
        Layout l = s.layout();
        Statistics.label("layout").collect(l.clusterSize() < 16384 ? "small clusters" : "big clusters",
                l.extendedL2() ? "extended L2" : "standard L2", l.backing(),
                l.backing() == BackingKind.NONE ? "-" : l.backingSize() < l.size() ? "smaller backing" : "larger backing");
        Statistics.label("ops").collect(s.batches().stream().mapToInt(List::size).sum() / 10 * 10);
        Statistics.label("refcount order").collect(l.refcountOrder());
        Path dir = Files.createTempDirectory("qcow2-prop");
        try {
            run(dir, s);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Shrunk from a failure: the writer added a second compressed cluster to a host cluster at refcount 1 of 1. */
    @Example
    void compressedClustersGetTheirOwnHostClusterWithOneBitRefcounts() throws IOException {
        Layout l = new Layout(9, false, 0, 1536, BackingKind.NONE, 0, 0);
        writesThroughTheWriterReadBackAsTheModel(new Scenario(l,
                List.of(List.of(new Compressed(0, 0), new Zero(0, 1), new Compressed(1, 0), new Compressed(2, 1)))));
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return layouts().flatMap(l -> batch(l).list().ofMinSize(1).ofMaxSize(4)
                .withSizeDistribution(RandomDistribution.uniform()).map(b -> new Scenario(l, b)));
    }

    private static Arbitrary<Layout> layouts() {
        Arbitrary<Integer> clusterBits = Arbitraries.integers().between(9, 21)
                .withDistribution(RandomDistribution.uniform());
        Arbitrary<Long> sectors = Arbitraries.longs().between(1, MAX_SIZE / 512);
        Arbitrary<BackingKind> backing = Arbitraries.of(BackingKind.class);
        // Backing files smaller and larger than the image, by up to a factor of two.
        Arbitrary<Integer> backingPercent = Arbitraries.integers().between(1, 200);
        return Combinators.combine(clusterBits, Arbitraries.of(true, false), Arbitraries.integers().between(0, 6),
                sectors, backing, backingPercent, Arbitraries.longs())
                .as((bits, ext, order, sec, bk, pct, seed) -> {
                    long size = sec * 512;
                    long bsize = Math.max(512, size * pct / 100 / 512 * 512);
                    return new Layout(bits, ext && bits >= 14, order, size, bk, bsize, seed);
                });
    }

    private static Arbitrary<List<Op>> batch(Layout l) {
        Arbitrary<Op> write = Combinators.combine(offsets(l), lengths(l), Arbitraries.integers())
                .as(Write::new);
        Arbitrary<Op> zero = Combinators.combine(offsets(l), lengths(l)).as(Zero::new);
        Arbitrary<Op> compressed = Combinators.combine(Arbitraries.longs().between(0, l.size() / l.clusterSize()),
                Arbitraries.integers()).as(Compressed::new);
        Arbitrary<Op> flush = Arbitraries.just(new Flush());
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(6, write), Tuple.of(3, zero),
                Tuple.of(1, compressed), Tuple.of(1, flush));
        return op.list().ofMinSize(1).ofMaxSize(16).withSizeDistribution(RandomDistribution.uniform());
    }

    /** Offsets: mostly k units ±1 for one of the layout's units, sometimes anywhere. */
    private static Arbitrary<Long> offsets(Layout l) {
        Arbitrary<Long> boundary = Combinators.combine(Arbitraries.of(l.units()), Arbitraries.longs().between(0, 1 << 16),
                Arbitraries.of(0L, -1L, 1L))
                .as((u, k, d) -> (k % (l.size() / u + 1)) * u + d);
        Arbitrary<Long> anywhere = Arbitraries.longs().between(0, l.size() - 1);
        return Arbitraries.frequencyOf(Tuple.of(3, boundary), Tuple.of(1, anywhere));
    }

    /** Lengths: mostly 0..4 units ±1, sometimes anything up to the whole image. */
    private static Arbitrary<Long> lengths(Layout l) {
        Arbitrary<Long> boundary = Combinators.combine(Arbitraries.of(l.units()), Arbitraries.longs().between(0, 4),
                Arbitraries.of(0L, -1L, 1L))
                .as((u, m, d) -> m * u + d);
        Arbitrary<Long> small = Arbitraries.longs().between(1, 2 * l.clusterSize());
        Arbitrary<Long> large = Arbitraries.longs().between(1, l.size());
        return Arbitraries.frequencyOf(Tuple.of(4, boundary), Tuple.of(2, small),
                Tuple.of(1, large));
    }

    private static void run(Path dir, Scenario s) throws IOException {
        Layout l = s.layout();
        byte[] model = new byte[(int) l.size()];
        CreateOptions o = CreateOptions.of(l.size()).withClusterBits(l.clusterBits()).withExtendedL2(l.extendedL2())
                .withRefcountOrder(l.refcountOrder());
        if (l.backing() != BackingKind.NONE) {
            byte[] base = backingContent(l);
            Files.write(dir.resolve("base.raw"), base);
            if (l.backing() == BackingKind.QCOW2) {
                Qemu.img(dir, "convert", "-q", "-f", "raw", "-O", "qcow2", "base.raw", "base.qcow2");
                o = o.withBacking("base.qcow2", "qcow2");
            } else {
                o = o.withBacking("base.raw", "raw");
            }
            System.arraycopy(base, 0, model, 0, (int) Math.min(base.length, model.length));
        }
        Path img = dir.resolve("img.qcow2");
        BitSet touched = new BitSet(); // guest clusters any write reached: not for compressed writes
        Qcow2Writer w = Qcow2Writer.create(img, o);
        try (Compressor compressor = new Compressor(Qcow2Header.COMPRESSION_ZLIB)) {
            for (List<Op> batch : s.batches()) {
                for (Op op : batch) {
                    apply(w, compressor, l, op, model, touched);
                }
                w.close();
                assertOurReaderReads(img, model, "after a batch");
                w = Qcow2Writer.open(img);
            }
        } finally {
            w.close();
        }
        assertOurReaderReads(img, model, "at the end");
        Qemu.Result check = Qemu.run(dir, "qemu-img", "check", "--output=json", "img.qcow2");
        assertFalse(check.stdout().contains("\"corruptions\"") || check.stdout().contains("\"leaks\""),
                "qemu-img check: " + check.stdout() + check.stderr());
        assertEquals(0, check.exitCode(), "qemu-img check exit code: " + check.stdout() + check.stderr());
        Qemu.img(dir, "convert", "-O", "raw", "img.qcow2", "out.raw");
        assertArrayEquals(model, Files.readAllBytes(dir.resolve("out.raw")), "qemu-img convert reads the model");
    }

    private static void apply(Qcow2Writer w, Compressor compressor, Layout l, Op op, byte[] model, BitSet touched)
            throws IOException {
        long size = l.size();
        if (op instanceof Write wr) {
            long off = clampOffset(wr.offset(), size);
            int len = clampLength(wr.length(), off, size);
            byte[] data = new byte[len];
            new Random(wr.seed()).nextBytes(data);
            w.write(off, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, (int) off, len);
            touch(touched, l, off, len);
        } else if (op instanceof Zero z) {
            long off = clampOffset(z.offset(), size);
            int len = clampLength(z.length(), off, size);
            w.writeZeroes(off, len);
            Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
            touch(touched, l, off, len);
        } else if (op instanceof Compressed c) {
            long guest = c.cluster() * l.clusterSize();
            if (guest + l.clusterSize() > size || touched.get((int) c.cluster())) {
                return;
            }
            int cs = (int) l.clusterSize();
            byte[] cluster = compressible(cs, c.seed());
            byte[] packed = new byte[cs];
            int n = compressor.compress(cluster, packed);
            if (n < 0) {
                return;
            }
            w.writeCompressed(guest, packed, n);
            System.arraycopy(cluster, 0, model, (int) guest, cs);
            touched.set((int) c.cluster());
        } else {
            w.flush();
        }
    }

    private static long clampOffset(long offset, long size) {
        return Math.max(0, Math.min(offset, size - 1));
    }

    private static int clampLength(long length, long offset, long size) {
        return (int) Math.max(1, Math.min(length, size - offset));
    }

    private static void touch(BitSet touched, Layout l, long off, long len) {
        touched.set((int) (off >>> l.clusterBits()), (int) ((off + len - 1) >>> l.clusterBits()) + 1);
    }

    /** Short runs of a few byte values: deflate shrinks it, and no two clusters look alike. */
    private static byte[] compressible(int length, int seed) {
        Random r = new Random(seed);
        byte[] b = new byte[length];
        int i = 0;
        while (i < length) {
            int run = Math.min(length - i, 1 + r.nextInt(64));
            Arrays.fill(b, i, i + run, (byte) (1 + r.nextInt(4)));
            i += run;
        }
        return b;
    }

    /** Random data with a zero hole in the middle, so a qcow2 backing file is sparse too. */
    private static byte[] backingContent(Layout l) {
        byte[] b = new byte[(int) l.backingSize()];
        new Random(l.backingSeed()).nextBytes(b);
        Arrays.fill(b, b.length / 3, b.length / 2, (byte) 0);
        return b;
    }

    private static void assertOurReaderReads(Path img, byte[] model, String when) {
        try (Image read = Images.open(img.toString())) {
            ByteBuffer all = ByteBuffer.allocate(model.length);
            read.read(0, all);
            assertEquals(model.length, read.virtualSize(), "virtual size " + when);
            assertArrayEquals(model, all.array(), "our reader reads the model " + when);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
