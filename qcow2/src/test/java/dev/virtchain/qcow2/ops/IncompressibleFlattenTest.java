package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.check.CheckOracle;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A compressed flatten ({@code img convert -c}) of data that does not compress, as random and
 * already-compressed data on real disks do not: qemu-img stores those clusters uncompressed and
 * so do we (zstd once failed with "Destination buffer is too small"). Every output is clean for
 * qemu-img check, identical for qemu-img compare, and reads back with ours.
 */
class IncompressibleFlattenTest {
    private static final int CLUSTERS = 10;

    @TempDir
    Path dir;

    enum Content { RANDOM, MIXED }

    @ParameterizedTest(name = "{0} {1} clusterBits={2}")
    @CsvSource({
            "zstd, RANDOM, 16",
            "zlib, RANDOM, 16",
            "zstd, MIXED, 16",
            "zlib, MIXED, 16",
            "zstd, MIXED, 9",
            "zlib, MIXED, 9",
            "zstd, MIXED, 21",
            "zlib, MIXED, 21"})
    void aCompressedFlattenStoresWhatDoesNotShrinkUncompressed(String type, Content content, int clusterBits)
            throws IOException {
        int cs = 1 << clusterBits;
        byte[] guest = content(content, cs);
        Files.write(dir.resolve("src.raw"), guest);
        int ctype = type.equals("zstd") ? Qcow2Header.COMPRESSION_ZSTD : Qcow2Header.COMPRESSION_ZLIB;
        try (Image src = Images.open(dir.resolve("src.raw").toString(), "raw", true)) {
            Flattener.flatten(src, dir.resolve("flat.qcow2"), Flattener.Options.qcow2().withClusterBits(clusterBits)
                    .withCompression(true, ctype), Progress.NONE);
        }

        CheckOracle check = CheckOracle.qemu(dir.resolve("flat.qcow2"));
        assertEquals(0, check.exitCode(), "qemu-img check: " + check);
        assertEquals(0, check.count("corruptions") + check.count("leaks"), "qemu-img check: " + check);
        String cmp = Qemu.img(dir, "compare", "-f", "raw", "-F", "qcow2", "src.raw", "flat.qcow2");
        assertTrue(cmp.contains("Images are identical."), cmp);
        try (Image ours = Images.open(dir.resolve("flat.qcow2").toString())) {
            ByteBuffer all = ByteBuffer.allocate(guest.length);
            ours.read(0, all);
            assertArrayEquals(guest, all.array(), "read with ours");
        }

        Qemu.img(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=" + cs + ",compression_type="
                + type, "src.raw", "theirs.qcow2");
        long theirs = CheckOracle.qemu(dir.resolve("theirs.qcow2")).count("compressed-clusters");
        long ours = check.count("compressed-clusters");
        if (content == Content.RANDOM) {
            assertEquals(0, theirs, "qemu-img convert -c compresses no random cluster");
            assertEquals(0, ours, "nor do we");
        } else {
            // Of every five clusters, two shrink for sure and one is near the limit; qemu may decide that one otherwise.
            long sure = 2L * CLUSTERS / 5;
            assertTrue(theirs >= sure && theirs <= sure + CLUSTERS / 5, "qemu-img convert -c compressed " + theirs);
            assertTrue(ours >= sure && ours <= sure + CLUSTERS / 5, "we compressed " + ours);
        }
    }

    /**
     * RANDOM: every cluster random. MIXED, by cluster in fives: random; a few repeated byte
     * values (shrinks); half random, half zero (shrinks to about half); all zero (not written);
     * random but for the last 32 bytes (within a few bytes of the limit either way).
     */
    private static byte[] content(Content content, int cs) {
        byte[] b = new byte[CLUSTERS * cs];
        Random r = new Random(cs);
        for (int i = 0; i < CLUSTERS; i++) {
            byte[] cluster = new byte[cs];
            switch (content == Content.RANDOM ? 0 : i % 5) {
                case 0 -> r.nextBytes(cluster);
                case 1 -> {
                    for (int p = 0; p < cs; p += 64) {
                        Arrays.fill(cluster, p, p + 64, (byte) (1 + r.nextInt(4)));
                    }
                }
                case 2 -> {
                    byte[] half = new byte[cs / 2];
                    r.nextBytes(half);
                    System.arraycopy(half, 0, cluster, 0, half.length);
                }
                case 3 -> {
                    // zeros
                }
                default -> {
                    byte[] most = new byte[cs - 32];
                    r.nextBytes(most);
                    System.arraycopy(most, 0, cluster, 0, most.length);
                }
            }
            System.arraycopy(cluster, 0, b, i * cs, cs);
        }
        return b;
    }
}
