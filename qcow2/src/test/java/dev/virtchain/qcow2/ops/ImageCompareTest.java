package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every case runs qemu-img compare on the same files and expects its exit code and stdout. */
class ImageCompareTest {
    @TempDir
    Path dir;

    @Test
    void aQcow2ImageEqualsItsRawConversionAndTheOtherWayRound() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "raw", "a.qcow2", "a.raw");
        img("convert", "-f", "raw", "-O", "qcow2", "a.raw", "b.qcow2");
        assertVerdict("Images are identical.", false, "a.qcow2", "a.raw");
        assertVerdict("Images are identical.", false, "a.raw", "a.qcow2");
        assertVerdict("Images are identical.", false, "a.raw", "b.qcow2");
    }

    @Test
    void strictModeSeesUnallocatedQcow2RangesAsDifferentFromRawHoles() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "raw", "a.qcow2", "a.raw");
        assertVerdict("Strict mode: Offset 65536 block status mismatch!", true, "a.qcow2", "a.raw");
        assertVerdict("Strict mode: Offset 65536 block status mismatch!", true, "a.raw", "a.qcow2");
    }

    @Test
    void strictModeAcceptsAByteForByteCopy() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        Files.copy(dir.resolve("a.qcow2"), dir.resolve("copy.qcow2"));
        assertVerdict("Images are identical.", true, "a.qcow2", "copy.qcow2");
    }

    @Test
    void compressedClustersReadLikeTheirSource() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-c", "-O", "qcow2", "a.qcow2", "c.qcow2");
        img("convert", "-c", "-O", "qcow2", "-o", "compression_type=zstd", "a.qcow2", "z.qcow2");
        img("convert", "-O", "raw", "a.qcow2", "a.raw");
        assertVerdict("Images are identical.", false, "c.qcow2", "a.qcow2");
        assertVerdict("Images are identical.", false, "z.qcow2", "a.raw");
        assertSameAsQemu(true, "c.qcow2", "a.qcow2");
        assertSameAsQemu(true, "c.qcow2", "z.qcow2");
    }

    @Test
    void zeroClustersEqualUnallocatedOnesButNotInStrictMode() throws IOException {
        img("create", "-f", "qcow2", "zero.qcow2", "1M");
        io("zero.qcow2", "write -z 64k 128k");
        io("zero.qcow2", "write -z -u 512k 64k"); // a zero cluster that keeps its host cluster
        img("create", "-f", "qcow2", "empty.qcow2", "1M");
        assertVerdict("Images are identical.", false, "zero.qcow2", "empty.qcow2");
        // Offset 0, not 64k: qemu's first extent of the empty image reaches its end and carries
        // BDRV_BLOCK_EOF, the first extent of the other does not, and strict mode compares all flags.
        assertVerdict("Strict mode: Offset 0 block status mismatch!", true, "zero.qcow2", "empty.qcow2");
        io("empty.qcow2", "write -P 0 960k 64k"); // now neither first extent reaches the end
        assertVerdict("Strict mode: Offset 65536 block status mismatch!", true, "zero.qcow2", "empty.qcow2");
    }

    @Test
    void aThreeDeepChainEqualsItsFlattenedCopy() throws IOException {
        chain3();
        img("convert", "-O", "qcow2", "top.qcow2", "flat.qcow2");
        img("convert", "-O", "raw", "top.qcow2", "flat.raw");
        assertVerdict("Images are identical.", false, "top.qcow2", "flat.qcow2");
        assertVerdict("Images are identical.", false, "flat.raw", "top.qcow2");
        assertSameAsQemu(true, "top.qcow2", "flat.qcow2");
        assertSameAsQemu(true, "top.qcow2", "flat.raw");
        Files.copy(dir.resolve("top.qcow2"), dir.resolve("same-chain.qcow2"));
        assertVerdict("Images are identical.", true, "top.qcow2", "same-chain.qcow2");
    }

    @Test
    void aChainDiffersFromItsMiddleLayerWhereTheTopWrote() throws IOException {
        chain3();
        assertVerdict("Content mismatch at offset 1048576!", false, "top.qcow2", "mid.qcow2");
    }

    @Test
    void aDifferenceAtTheFirstByteOfAClusterIsReportedThere() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "raw", "a.qcow2", "b.raw");
        poke("b.raw", 2L << 20);
        assertVerdict("Content mismatch at offset 2097152!", false, "a.qcow2", "b.raw");
    }

    @Test
    void aDifferenceInTheMiddleOfASectorIsReportedAtTheSectorStart() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "raw", "a.qcow2", "b.raw");
        poke("b.raw", 3 * 65536 + 700); // inside data
        assertVerdict("Content mismatch at offset 197120!", false, "a.qcow2", "b.raw");
        img("convert", "-O", "raw", "a.qcow2", "c.raw");
        poke("c.raw", 65536 + 1000); // inside a range qcow2 leaves unallocated
        assertVerdict("Content mismatch at offset 66048!", false, "a.qcow2", "c.raw");
        assertVerdict("Content mismatch at offset 66048!", false, "c.raw", "a.qcow2");
    }

    @Test
    void aDifferenceAtTheLastByteOfTheImageIsFound() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "qcow2", "a.qcow2", "b.qcow2");
        io("b.qcow2", "write -P 0x11 " + ((4L << 20) - 1) + " 1");
        assertVerdict("Content mismatch at offset 4193792!", false, "a.qcow2", "b.qcow2");
    }

    @Test
    void aRawFileOfOddLengthIsComparedInWholeSectors() throws IOException {
        byte[] data = new byte[1000];
        new Random(1).nextBytes(data);
        Files.write(dir.resolve("odd.raw"), data);
        img("convert", "-f", "raw", "-O", "qcow2", "odd.raw", "odd.qcow2");
        assertVerdict("Images are identical.", false, "odd.raw", "odd.qcow2");
        data[999] ^= 1;
        Files.write(dir.resolve("odd2.raw"), data);
        assertVerdict("Content mismatch at offset 512!", false, "odd.qcow2", "odd2.raw");
    }

    @Test
    void differentSizesWithAZeroTailAreIdenticalWithAWarning() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("create", "-f", "qcow2", "-b", "a.qcow2", "-F", "qcow2", "big.qcow2", "8M");
        io("big.qcow2", "write -z 5M 1M");
        io("big.qcow2", "write -P 0 6M 64k"); // allocated data that happens to be zeros
        assertVerdict("Warning: Image size mismatch!\nImages are identical.", false, "a.qcow2", "big.qcow2");
        assertVerdict("Warning: Image size mismatch!\nImages are identical.", false, "big.qcow2", "a.qcow2");
        assertVerdict("Strict mode: Image size mismatch!", true, "a.qcow2", "big.qcow2");
    }

    @Test
    void differentSizesWithANonzeroTailMismatchAtItsFirstNonzeroSector() throws IOException {
        mixedQcow2("a.qcow2", "4M");
        img("convert", "-O", "raw", "a.qcow2", "a.raw");
        img("create", "-f", "qcow2", "-b", "a.raw", "-F", "raw", "big.qcow2", "8M");
        io("big.qcow2", "write -P 0 6M 64k");
        io("big.qcow2", "write -P 0x5a " + (6 * 1048576 + 4096 + 17) + " 3");
        String expected = "Warning: Image size mismatch!\nContent mismatch at offset " + (6 * 1048576 + 4096) + "!";
        assertVerdict(expected, false, "a.qcow2", "big.qcow2");
        assertVerdict(expected, false, "big.qcow2", "a.raw");
    }

    @Test
    void extendedL2SubclustersCompareLikeQemu() throws IOException {
        img("create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", "base.qcow2", "2M");
        io("base.qcow2", "write -P 0x21 0 1M");
        img("create", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.qcow2", "-F", "qcow2", "x.qcow2");
        io("x.qcow2", "write -P 0x22 4k 2k");
        io("x.qcow2", "write -z 72k 4k");
        img("convert", "-O", "raw", "x.qcow2", "x.raw");
        assertVerdict("Images are identical.", false, "x.qcow2", "x.raw");
        assertSameAsQemu(true, "x.qcow2", "x.raw");
        assertVerdict("Content mismatch at offset 4096!", false, "x.qcow2", "base.qcow2");
    }

    @Test
    void randomImagesGetQemusVerdicts() throws IOException {
        Random rnd = new Random(42);
        for (int round = 0; round < 12; round++) {
            String a = "r" + round + "a.qcow2";
            String b = "r" + round + "b." + (round % 3 == 0 ? "raw" : "qcow2");
            long size = (1 + rnd.nextInt(12)) << 20;
            img("create", "-f", "qcow2", "-o", "cluster_size=" + (4096 << rnd.nextInt(5)), a, String.valueOf(size));
            for (int w = 0; w < 6; w++) {
                io(a, randomWrite(rnd, size));
            }
            img("convert", "-O", b.endsWith("raw") ? "raw" : "qcow2", a, b);
            for (int w = 0; w < rnd.nextInt(3); w++) {
                io(b, "-f", b.endsWith("raw") ? "raw" : "qcow2", randomWrite(rnd, size));
            }
            assertSameAsQemu(false, a, b);
            assertSameAsQemu(true, a, b);
        }
    }

    private static String randomWrite(Random rnd, long size) {
        long off = (rnd.nextLong() & Long.MAX_VALUE) % size;
        long len = Math.min(size - off, 1 + rnd.nextInt(3 << 20));
        return switch (rnd.nextInt(3)) {
            case 0 -> "write -z " + (off & ~511L) + " " + Math.max(512, len & ~511L);
            case 1 -> "write -P " + rnd.nextInt(256) + " " + off + " " + len;
            default -> "write -P 0 " + off + " " + len;
        };
    }

    /** Data, a hole, a zero cluster and data again: a hole at 64k..128k, zeros at 1M..1.5M. */
    private void mixedQcow2(String name, String size) throws IOException {
        img("create", "-f", "qcow2", name, size);
        io(name, "write -P 0xaa 0 64k");
        io(name, "write -P 0xbb 128k 1M");
        io(name, "write -z 1152k 512k");
        io(name, "write -P 0xcc 2M 1M");
        io(name, "write -P 0xdd 3584k 512k");
    }

    /** base (2M) <- mid (3M) <- top (4M): the top reads zeros past mid's end, mid past base's. */
    private void chain3() throws IOException {
        img("create", "-f", "qcow2", "base.qcow2", "2M");
        io("base.qcow2", "write -P 0x01 0 2M");
        img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2", "3M");
        io("mid.qcow2", "write -P 0x02 512k 64k");
        io("mid.qcow2", "write -z 768k 64k");
        io("mid.qcow2", "write -P 0x03 2560k 64k");
        img("create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "4M");
        io("top.qcow2", "write -P 0x04 1M 4k");
        io("top.qcow2", "write -P 0x05 3584k 4k");
    }

    private void assertVerdict(String expected, boolean strict, String a, String b) throws IOException {
        assertEquals(expected, assertSameAsQemu(strict, a, b));
    }

    private String assertSameAsQemu(boolean strict, String a, String b) throws IOException {
        return CompareOracle.assertSameAsQemu(dir, strict, a, b);
    }

    private void img(String... args) {
        Qemu.img(dir, args);
    }

    private void io(String image, String... cmd) {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < cmd.length - 1; i++) {
            args.add(cmd[i]);
        }
        args.add("-c");
        args.add(cmd[cmd.length - 1]);
        args.add(image);
        Qemu.io(dir, args.toArray(String[]::new));
    }

    private void poke(String file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(file).toFile(), "rw")) {
            f.seek(offset);
            int old = f.read();
            f.seek(offset);
            f.write(old ^ 0x80);
        }
    }
}
