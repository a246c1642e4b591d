package dev.virtchain.qcow2.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.read.Decompressor;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A compressed cluster is smaller than a cluster, as qemu writes them: the compressor says -1
 * for a cluster that does not shrink (zstd-jni threw "Destination buffer is too small" there),
 * and the writer refuses compressed data its L2 entry would not describe.
 */
class CompressedSizeLimitTest {
    private static final int[] TYPES = {Qcow2Header.COMPRESSION_ZLIB, Qcow2Header.COMPRESSION_ZSTD};

    @TempDir
    Path dir;

    /** Random data (as already-compressed data looks) does not shrink at any cluster size. */
    @ParameterizedTest(name = "clusterBits={0}")
    @ValueSource(ints = {9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21})
    void aRandomClusterDoesNotCompressWithEitherType(int clusterBits) {
        byte[] cluster = randomThenZeros(1 << clusterBits, clusterBits, 0);
        for (int type : TYPES) {
            try (Compressor c = new Compressor(type)) {
                assertEquals(-1, c.compress(cluster, new byte[cluster.length]), "type " + type);
            }
        }
    }

    /**
     * Random bytes and then {@code tail} zeros: around some tail length the compressed size
     * crosses the cluster size. Whatever comes out is smaller than the cluster and inflates back.
     */
    @ParameterizedTest(name = "clusterBits={0}")
    @ValueSource(ints = {9, 10, 12, 14, 16, 18, 21})
    void clustersNearTheLimitCompressBelowTheClusterSizeOrNotAtAll(int clusterBits) {
        int cs = 1 << clusterBits;
        for (int type : TYPES) {
            boolean stored = false;
            boolean compressed = false;
            try (Compressor c = new Compressor(type); Decompressor d = new Decompressor(type)) {
                for (int tail : new int[] {0, 1, 4, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256, cs / 4, cs / 2}) {
                    byte[] cluster = randomThenZeros(cs, clusterBits, tail);
                    byte[] out = new byte[cs];
                    int n = c.compress(cluster, out);
                    String what = "type " + type + ", " + tail + " zeros at the end";
                    if (n < 0) {
                        assertEquals(-1, n, what);
                        stored = true;
                        continue;
                    }
                    compressed = true;
                    assertTrue(n > 0 && n < cs, what + ": " + n + " bytes");
                    byte[] back = new byte[cs];
                    assertNull(d.decompress(out, n, back), what);
                    assertArrayEquals(cluster, back, what);
                }
            }
            assertTrue(stored && compressed, "type " + type + ": both sides of the limit seen");
        }
    }

    /** A smaller output buffer than the cluster is a limit too: what does not fit is not compressed. */
    @Test
    void compressedDataThatWouldNotFitTheOutputIsNotCompressed() {
        byte[] cluster = randomThenZeros(65536, 16, 32768); // compresses to about half
        for (int type : TYPES) {
            try (Compressor c = new Compressor(type)) {
                int n = c.compress(cluster, new byte[65536]);
                assertTrue(n > 30000 && n < 40000, "type " + type + ": " + n);
                assertEquals(-1, c.compress(cluster, new byte[n - 1]), "type " + type);
            }
        }
    }

    /** The refused writes leave the image as it was: clean, and all zeros. */
    @Test
    void theWriterRefusesCompressedDataThatIsNotSmallerThanACluster() throws IOException {
        try (Qcow2Writer w = Qcow2Writer.create(dir.resolve("img.qcow2"), CreateOptions.of(1 << 20).withClusterBits(9))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.writeCompressed(0, new byte[1024], 512));
            assertEquals("compressed write of 512 bytes (of 1024) for a 512-byte cluster", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.writeCompressed(0, new byte[1024], 0));
            assertThrows(IllegalArgumentException.class, () -> w.writeCompressed(0, new byte[100], 200));
        }
        assertTrue(Qemu.img(dir, "check", "img.qcow2").contains("No errors were found"));
        Qemu.img(dir, "create", "-q", "-f", "raw", "zeros.raw", "1M");
        assertTrue(Qemu.img(dir, "compare", "-F", "raw", "img.qcow2", "zeros.raw").contains("Images are identical."));
    }

    /** {@code length} bytes: random, then {@code zeros} zero bytes at the end. */
    static byte[] randomThenZeros(int length, long seed, int zeros) {
        byte[] b = new byte[length];
        byte[] r = new byte[length - zeros];
        new Random(seed).nextBytes(r);
        System.arraycopy(r, 0, b, 0, r.length);
        return b;
    }
}
