package dev.virtchain.qcow2.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.io.DirectData;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Writes with ours, reads with qemu's (and ours), checks with qemu-img check. */
class Qcow2WriterTest {
    @TempDir
    Path dir;

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of(16, false, false),
                Arguments.of(9, false, false),
                Arguments.of(12, false, true),
                Arguments.of(21, false, false),
                Arguments.of(16, true, false),
                Arguments.of(14, true, true),
                Arguments.of(16, true, true));
    }

    @ParameterizedTest(name = "clusterBits={0} extendedL2={1} backing={2}")
    @MethodSource("layouts")
    void randomWritesMatchAModelAndQemuCallsTheImageClean(int clusterBits, boolean extendedL2, boolean backing)
            throws Exception {
        long size = 8L << 20;
        byte[] model = new byte[(int) size];
        Random rnd = new Random(clusterBits * 31L + (extendedL2 ? 7 : 0) + (backing ? 3 : 0));
        CreateOptions o = CreateOptions.of(size).withClusterBits(clusterBits).withExtendedL2(extendedL2);
        if (backing) {
            Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "6M");
            Qemu.io(dir, "-c", "write -P 0x5a 0 6M", "base.qcow2");
            java.util.Arrays.fill(model, 0, 6 << 20, (byte) 0x5a);
            o = o.withBacking("base.qcow2", "qcow2");
        }
        Path img = dir.resolve("img.qcow2");
        try (Qcow2Writer w = Qcow2Writer.create(img, o)) {
            for (int i = 0; i < 200; i++) {
                long off = rnd.nextInt((int) size);
                int len = (int) Math.min(size - off, 1 + rnd.nextInt(rnd.nextBoolean() ? 4096 : 300_000));
                if (rnd.nextInt(4) == 0) {
                    w.writeZeroes(off, len);
                    java.util.Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
                } else {
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    w.write(off, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, model, (int) off, len);
                }
                if (i % 50 == 0) {
                    w.flush();
                }
            }
        }
        assertImageHolds(model, img);
    }

    /**
     * Whole-cluster runs from aligned direct buffers go past the page cache, everything else
     * (partial clusters, heap buffers, zero writes, metadata) through it, into the same file:
     * qemu reads the model's bytes and calls the image clean.
     */
    @ParameterizedTest(name = "clusterBits={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {12, 16, 21})
    void directAndCachedWritesMixInOneImage(int clusterBits) throws Exception {
        long size = 24L << 20;
        int cs = 1 << clusterBits;
        byte[] model = new byte[(int) size];
        Random rnd = new Random(clusterBits);
        Path img = dir.resolve("img.qcow2");
        try (Qcow2Writer w = Qcow2Writer.create(img, CreateOptions.of(size).withClusterBits(clusterBits))) {
            assertTrue(w.directData(), "the test directory's file system takes O_DIRECT (ext4 or xfs expected)");
            ByteBuffer aligned = DirectData.allocateAligned(4 << 20);
            for (int i = 0; i < 120; i++) {
                int kind = rnd.nextInt(4);
                long off;
                int len;
                if (kind < 2) { // whole clusters: the direct path when fresh
                    long clusters = size / cs;
                    off = rnd.nextLong(clusters) * cs;
                    len = (int) Math.min(size - off, (long) cs * (1 + rnd.nextInt(Math.max(1, (4 << 20) / cs))));
                } else {
                    off = rnd.nextLong(size);
                    len = (int) Math.min(size - off, 1 + rnd.nextInt(200_000));
                }
                if (kind == 3) {
                    w.writeZeroes(off, len);
                    java.util.Arrays.fill(model, (int) off, (int) off + len, (byte) 0);
                    continue;
                }
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                ByteBuffer b = kind == 2 ? ByteBuffer.wrap(data) : aligned.clear().put(data, 0, len).flip();
                w.write(off, b);
                System.arraycopy(data, 0, model, (int) off, len);
                if (i % 40 == 0) {
                    w.flush();
                }
            }
        }
        assertImageHolds(model, img);
    }

    /** qemu-img check calls {@code img} clean, and qemu and our reader both read {@code model} from it. */
    private void assertImageHolds(byte[] model, Path img) throws Exception {
        long size = model.length;
        String check = Qemu.img(dir, "check", "--output=json", "img.qcow2");
        assertFalse(check.contains("\"corruptions\""), check);
        assertFalse(check.contains("\"leaks\""), check);
        Qemu.img(dir, "convert", "-O", "raw", "img.qcow2", "out.raw");
        assertArrayEquals(model, Files.readAllBytes(dir.resolve("out.raw")), "qemu reads what we wrote");
        try (Image read = Images.open(img.toString())) {
            ByteBuffer all = ByteBuffer.allocate((int) size);
            read.read(0, all);
            assertArrayEquals(model, all.array(), "our reader reads what we wrote");
        }
    }

    @Test
    void aNewImageWithABackingFileShowsTheLinkInQemuImgInfo() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "1M");
        try (Qcow2Writer w = Qcow2Writer.create(dir.resolve("top.qcow2"),
                CreateOptions.of(1 << 20).withBacking("base.raw", "raw"))) {
            assertEquals(1 << 20, w.virtualSize());
        }
        String info = Qemu.img(dir, "info", "--output=json", "top.qcow2");
        assertTrue(info.contains("\"backing-filename\": \"base.raw\""), info);
        assertTrue(info.contains("\"backing-filename-format\": \"raw\""), info);
        String check = Qemu.img(dir, "check", "top.qcow2");
        assertTrue(check.contains("No errors were found"), check);
    }

    @Test
    void manyClustersGrowTheRefcountTable() throws Exception {
        // 512-byte clusters with 16-bit refcounts: one refcount block covers 256 clusters, so
        // 8 MiB of data needs far more blocks than one refcount table cluster can list.
        long size = 16L << 20;
        Path img = dir.resolve("big.qcow2");
        byte[] data = new byte[8 << 20];
        new Random(1).nextBytes(data);
        try (Qcow2Writer w = Qcow2Writer.create(img, CreateOptions.of(size).withClusterBits(9))) {
            w.write(4096, ByteBuffer.wrap(data));
        }
        String check = Qemu.img(dir, "check", "--output=json", "big.qcow2");
        assertFalse(check.contains("\"corruptions\""), check);
        assertFalse(check.contains("\"leaks\""), check);
        try (Image read = Images.open(img.toString())) {
            ByteBuffer got = ByteBuffer.allocate(data.length);
            read.read(4096, got);
            assertArrayEquals(data, got.array());
        }
    }

    @ParameterizedTest(name = "extendedL2={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void qemuIoPatternReadsFindTheBytesWeWrote(boolean extendedL2) throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x11 0 4M", "base.qcow2");
        try (Qcow2Writer w = Qcow2Writer.create(dir.resolve("img.qcow2"),
                CreateOptions.of(4 << 20).withExtendedL2(extendedL2).withBacking("base.qcow2", "qcow2"))) {
            w.write(0, ByteBuffer.wrap(filled(65536, 0xab)));           // one whole cluster
            w.write(100_000, ByteBuffer.wrap(filled(3000, 0xcd)));      // inside a cluster
            w.write(1_000_000, ByteBuffer.wrap(filled(200_000, 0xef))); // across clusters
            w.writeZeroes(2 << 20, 65536);
        }
        Qemu.io(dir, "-c", "read -P 0xab 0 64k", "-c", "read -P 0x11 64k 34464", "-c", "read -P 0xcd 100000 3000",
                "-c", "read -P 0x11 103000 1000", "-c", "read -P 0xef 1000000 200000", "-c", "read -P 0 2M 64k",
                "-c", "read -P 0x11 3M 1M", "img.qcow2");
        Qemu.assertClean(dir.resolve("img.qcow2"));
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    @ParameterizedTest(name = "extendedL2={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aFreshRunFilledByACallbackReadsAsFilledAndTakesLaterWritesInPlace(boolean extendedL2) throws Exception {
        Path img = dir.resolve("fill.qcow2");
        long cs = 64 << 10;
        try (Qcow2Writer w = Qcow2Writer.create(img, CreateOptions.of(1 << 20).withExtendedL2(extendedL2))) {
            w.write(0, ByteBuffer.wrap(new byte[] {1}));
            w.writeFreshBy(2 * cs, 3, (host, length) -> {
                assertEquals(3 * cs, length);
                // Only the middle cluster is filled, through another descriptor as a clone would be.
                try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.allocate((int) cs);
                    java.util.Arrays.fill(b.array(), (byte) 0x77);
                    ch.write(b, host + cs);
                }
                return true;
            });
            w.write(4 * cs + 100, ByteBuffer.wrap(new byte[] {9, 9}));
            assertThrows(IllegalStateException.class, () -> w.writeFreshBy(0, 1, (host, length) -> true),
                    "a cluster with a host cluster is not fresh");
            assertThrows(IllegalStateException.class, () -> w.writeFreshBy(3 * cs, 1, (host, length) -> true));
        }
        assertTrue(Qemu.img(dir, "check", "fill.qcow2").contains("No errors were found"));
        String read = Qemu.io(dir, "-c", "read -P 0 128k 64k", "-c", "read -P 0x77 192k 64k", "-c", "read -P 0 256k 100",
                "-c", "read -P 9 262244 2", "-c", "read -P 1 0 1", "fill.qcow2");
        assertFalse(read.contains("Pattern verification failed"), read);
        try (Image image = Images.open(img.toString())) {
            long first = image.status(2 * cs, cs).hostOffset();
            for (int i = 0; i < 3; i++) {
                LayerStatus s = image.status((2 + i) * cs, cs);
                // A cluster the callback left a hole in reads as "zero" data, as qemu's block status says too.
                assertTrue(s.data() && s.hostOffset() == first + i * cs, "one contiguous host run: " + s);
            }
        }
    }

    /**
     * A fill that refuses (a clone the file system cannot make) or fails after filling part of its
     * run gives the run back: nothing mapped, nothing counted, nothing left past the end of the
     * file, and the clusters still take ordinary writes.
     */
    @ParameterizedTest(name = "the fill {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"refuses", "throws"})
    void aFreshRunWhoseFillRefusesOrThrowsIsGivenBack(String how) throws Exception {
        Path img = dir.resolve("given-back.qcow2");
        long cs = 64 << 10;
        try (Qcow2Writer w = Qcow2Writer.create(img, CreateOptions.of(1 << 20))) {
            w.write(0, ByteBuffer.wrap(new byte[] {1})); // the L2 table exists before the run
            w.flush();
            long fileSize = Files.size(img);
            Qcow2Writer.HostFill fill = (host, length) -> {
                try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(filled((int) cs, 0x77)), host + cs);
                }
                if (how.equals("throws")) {
                    throw new java.io.IOException("cloning failed: Input/output error");
                }
                return false;
            };
            if (how.equals("throws")) {
                assertThrows(java.io.IOException.class, () -> w.writeFreshBy(2 * cs, 3, fill));
            } else {
                assertFalse(w.writeFreshBy(2 * cs, 3, fill));
            }
            assertEquals(fileSize, Files.size(img), "what the fill wrote past the end is cut off");
            w.write(3 * cs, ByteBuffer.wrap(filled((int) cs, 0x55)));
        }
        Qemu.img(dir, "check", "given-back.qcow2"); // exits non-zero on corruptions or leaks
        String read = Qemu.io(dir, "-c", "read -P 0 128k 64k", "-c", "read -P 0x55 192k 64k", "-c", "read -P 0 256k 64k",
                "given-back.qcow2");
        assertFalse(read.contains("Pattern verification failed"), read);
        try (Image image = Images.open(img.toString())) {
            assertFalse(image.status(2 * cs, cs).data(), "the given-back cluster before the write is unallocated");
            assertFalse(image.status(4 * cs, cs).data(), "the given-back cluster after the write is unallocated");
        }
    }
}
