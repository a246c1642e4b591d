package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.DirectData;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Flattens chains made by qemu-img and asks qemu-img whether the result is identical and clean. */
class FlattenerTest {
    @TempDir
    Path dir;

    /** raw base (8M) <- qcow2 mid (compressed and zero clusters) <- qcow2 top (12M, larger than its backing). */
    @BeforeEach
    void chain() {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "8M");
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 0 3M", "-c", "write -P 0x12 5M 1M", "base.raw");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "mid.qcow2");
        Qemu.io(dir, "-c", "write -P 0x21 1M 512k", "-c", "write -z 2M 256k", "-c", "write -c -P 0x22 4M 64k",
                "-c", "write -P 0x23 100k 3k", "mid.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2", "12M");
        Qemu.io(dir, "-c", "write -P 0x31 10M 1M", "-c", "discard 5M 64k", "-c", "write -P 0x32 7M 12k", "top.qcow2");
    }

    @ParameterizedTest(name = "{0} compress={1} {2} clusterBits={3}")
    @CsvSource({
            "qcow2, false, zlib, 16",
            "qcow2, false, zlib, 9",
            "qcow2, false, zlib, 21",
            "qcow2, true, zlib, 16",
            "qcow2, true, zstd, 16",
            "qcow2, true, zlib, 12",
            "raw, false, zlib, 16"})
    void aFlattenIsIdenticalToTheChainAndClean(String format, boolean compress, String type, int clusterBits)
            throws Exception {
        Path out = dir.resolve("flat." + format);
        int ctype = type.equals("zstd") ? Qcow2Header.COMPRESSION_ZSTD : Qcow2Header.COMPRESSION_ZLIB;
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2().withFormat(format).withCompression(compress, ctype)
                    .withClusterBits(clusterBits), Progress.NONE);
        }
        String cmp = Qemu.img(dir, "compare", "-f", "qcow2", "-F", format, "top.qcow2", out.getFileName().toString());
        assertTrue(cmp.contains("Images are identical."), cmp);
        String info = Qemu.img(dir, "info", "--output=json", out.getFileName().toString());
        assertFalse(info.contains("backing-filename"), "standalone: " + info);
        assertTrue(info.contains("\"virtual-size\": 12582912"), info);
        if (format.equals("qcow2")) {
            String check = Qemu.img(dir, "check", "--output=json", out.getFileName().toString());
            assertFalse(check.contains("\"corruptions\"") || check.contains("\"leaks\""), check);
            if (compress) {
                assertTrue(check.contains("\"compressed-clusters\"") && !check.contains("\"compressed-clusters\": 0"),
                        "some clusters are stored compressed: " + check);
            }
        }
        // Sparse: about as much on disk as qemu-img convert allocates for the same layout.
        String theirs = "theirs." + format;
        if (format.equals("raw")) {
            Qemu.img(dir, "convert", "-O", "raw", "top.qcow2", theirs);
        } else {
            Qemu.img(dir, "convert", "-O", "qcow2", "-o", "cluster_size=" + (1 << clusterBits)
                    + (compress ? ",compression_type=" + type : ""), compress ? "-c" : "-q", "top.qcow2", theirs);
        }
        long ours = NativeFiles.allocatedBytes(out);
        long qemus = NativeFiles.allocatedBytes(dir.resolve(theirs));
        assertTrue(ours <= qemus + qemus / 4 + (2L << clusterBits), "output stays sparse: " + ours + " bytes allocated, qemu-img "
                + qemus);
    }

    @Test
    void theOutputAppearsOnlyWhenCompleteAndNeverReplacesAFile() throws Exception {
        Path out = dir.resolve("exists.qcow2");
        Files.writeString(out, "keep me");
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            ImageException e = assertThrows(ImageException.class,
                    () -> Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE));
            assertEquals(out + ": already exists", e.getMessage());
        }
        assertEquals("keep me", Files.readString(out));
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".partial")), "no partial file left");
        }
    }

    /**
     * A cold chain is read past the page cache (the files stay uncached after the flatten) and
     * flattens to the same image; the same chain cached is read through the cache.
     */
    @Test
    void aColdChainIsReadPastThePageCache() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "cold-base.qcow2", "16M");
        Qemu.io(dir, "-c", "write -P 0x41 0 12M", "cold-base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "cold-base.qcow2", "-F", "qcow2", "cold-top.qcow2");
        Qemu.io(dir, "-c", "write -P 0x42 1M 3M", "-c", "write -P 0x43 14M 1M", "cold-top.qcow2");
        Path base = dir.resolve("cold-base.qcow2");
        Path top = dir.resolve("cold-top.qcow2");
        for (Path f : new Path[] {base, top}) {
            evict(f);
            assertFalse(cached(f), f + " evicted");
        }
        Path out = dir.resolve("cold-flat.qcow2");
        try (Image src = Images.open(top.toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE);
        }
        assertFalse(cached(base), "the base's data was read past the cache");
        assertFalse(cached(top), "the top's data was read past the cache");
        String cmp = Qemu.img(dir, "compare", "cold-top.qcow2", "cold-flat.qcow2");
        assertTrue(cmp.contains("Images are identical."), cmp);
        String check = Qemu.img(dir, "check", "cold-flat.qcow2");
        assertTrue(check.contains("No errors were found"), check);

        Files.delete(out);
        Files.readAllBytes(base); // now cached: read through the cache, and still identical
        try (Image src = Images.open(top.toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE);
        }
        cmp = Qemu.img(dir, "compare", "cold-top.qcow2", "cold-flat.qcow2");
        assertTrue(cmp.contains("Images are identical."), cmp);
        Qemu.assertClean(out);
    }

    private static boolean cached(Path f) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(f)) {
            return DirectData.Reader.mostlyCached(ch, ch.size());
        }
    }

    /** Drops {@code f} from the page cache: written back, then posix_fadvise(DONTNEED) through dd. */
    private static void evict(Path f) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "sync \"$1\" && dd if=\"$1\" iflag=nocache count=0 status=none", "sh",
                f.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "evicting " + f);
    }
}
