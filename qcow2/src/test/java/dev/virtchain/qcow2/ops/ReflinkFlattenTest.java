package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.ExtentCloner;
import dev.virtchain.qcow2.io.FileClone;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Flattens with the clone path on, with cloners that stand in for the kernel: one that "clones"
 * by copying the bytes (what a reflink makes the output read), one that refuses after a few
 * clones, one that fails; and with the real FICLONERANGE on the test file system. The output
 * must always be what qemu-img convert makes of the chain, and clean.
 */
class ReflinkFlattenTest {
    private static final long M = 1 << 20;

    @TempDir
    Path dir;

    /** raw base <- qcow2 mid (4 KiB clusters, compressed and zero clusters) <- qcow2 top (extended L2, larger). */
    @BeforeEach
    void chain() {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "8M");
        Qemu.io(dir, "-f", "raw", "-c", "write -P 0x11 0 3M", "-c", "write -P 0x12 5M 1M", "base.raw");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base.raw", "-F", "raw",
                "mid.qcow2");
        Qemu.io(dir, "-c", "write -P 0x21 1M 512k", "-c", "write -z 2M 256k", "-c", "write -c -P 0x22 4M 64k",
                "-c", "write -P 0x23 100k 3k", "-c", "write -P 0x24 2052k 8k", "mid.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", "mid.qcow2", "-F", "qcow2",
                "top.qcow2", "12M");
        Qemu.io(dir, "-c", "write -P 0x31 10M 1M", "-c", "discard 5M 64k", "-c", "write -P 0x32 7M 12k",
                "-c", "write -P 0x33 1026k 2k", "top.qcow2");
    }

    /** With 2 MiB clusters every cluster of this chain holds something that cannot be cloned. */
    @ParameterizedTest(name = "{0} clusterBits={1}")
    @CsvSource({"qcow2, 16, true", "qcow2, 12, true", "qcow2, 21, false", "raw, 16, true"})
    void clonedOutputIsTheChainAndClean(String format, int clusterBits, boolean someCloned) throws Exception {
        CopyingCloner cloner = CopyingCloner.always();
        Path out = flatten(format, clusterBits, cloner);
        assertEquals(someCloned, cloner.clones > 0, cloner.clones + " clones");
        assertSameAsQemu(out, format, clusterBits);
    }

    @Test
    void contiguousRunsCloneInOneCall() throws Exception {
        CopyingCloner cloner = CopyingCloner.always();
        flatten("raw", 16, cloner);
        // base.raw's 3M and 1M extents, less the blocks the upper layers hold, make few runs.
        assertTrue(cloner.clones < 20, cloner.clones + " clone calls");
        assertTrue(cloner.bytes >= 2 * M, cloner.bytes + " bytes cloned");
    }

    @ParameterizedTest(name = "{0} refusing after {1} clones")
    @CsvSource({"qcow2, 0", "qcow2, 3", "raw, 0", "raw, 3"})
    void aRefusalTurnsTheRestIntoCopyingAndTheOutputIsStillTheChain(String format, int before) throws Exception {
        CopyingCloner cloner = new CopyingCloner(before);
        Path out = flatten(format, 16, cloner);
        assertEquals(before + 1, cloner.calls, "no clone is tried after the first refusal");
        assertSameAsQemu(out, format, 16);
    }

    /** A file system that refuses the first clone costs no read: every guest byte is read once. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"qcow2", "raw"})
    void aFirstRefusalWastesNoRead(String format) throws Exception {
        CopyingCloner cloner = new CopyingCloner(0);
        long[] read = {0};
        long data;
        Flattener.Options o = Flattener.Options.qcow2().withFormat(format);
        try (Image top = Images.open(dir.resolve("top.qcow2").toString())) {
            data = ClonePlan.copyOnly(ChainMap.map(top), o.unit(), top.virtualSize()).reads().stream()
                    .mapToLong(r -> r[1] - r[0]).sum();
            Image counting = new Image() {
                public String filename() {
                    return top.filename();
                }

                public Path path() {
                    return top.path();
                }

                public String format() {
                    return top.format();
                }

                public long virtualSize() {
                    return top.virtualSize();
                }

                public Image backing() {
                    return top.backing();
                }

                public long allocatedBytes() {
                    return top.allocatedBytes();
                }

                public void read(long offset, java.nio.ByteBuffer dst) throws IOException {
                    synchronized (read) {
                        read[0] += dst.remaining();
                    }
                    top.read(offset, dst);
                }

                public LayerStatus status(long offset, long length) throws IOException {
                    return top.status(offset, length);
                }

                public void close() {
                }
            };
            Flattener.flatten(counting, dir.resolve("flat." + format), o, Progress.NONE, cloner);
        }
        assertEquals(1, cloner.calls);
        assertEquals(data, read[0], "bytes read: the chain's data, once");
        assertSameAsQemu(dir.resolve("flat." + format), format, 16);
    }

    @Test
    void anExternalDataFileIsClonedFrom() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "data_file=ext.data", "ext.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x41 64k 1M", "-c", "write -P 0x42 2M 512k", "ext.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "ext.qcow2", "-F", "qcow2", "exttop.qcow2");
        Qemu.io(dir, "-c", "write -P 0x43 1M 64k", "exttop.qcow2");
        List<Path> opened = new ArrayList<>();
        CopyingCloner copying = CopyingCloner.always();
        Path out = dir.resolve("ext-flat.qcow2");
        try (Image src = Images.open(dir.resolve("exttop.qcow2").toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE, (dest, sources) -> {
                opened.addAll(sources);
                return copying.open(dest, sources);
            });
        }
        assertEquals(List.of(dir.resolve("exttop.qcow2"), dir.resolve("ext.data")), opened);
        assertTrue(copying.bytes >= M, copying.bytes + " bytes cloned");
        String cmp = Qemu.img(dir, "compare", "exttop.qcow2", "ext-flat.qcow2");
        assertTrue(cmp.contains("Images are identical."), cmp);
        Qemu.assertClean(out);
    }

    @Test
    void aCloneFailureFailsTheFlattenAndLeavesNoOutput() throws Exception {
        ExtentCloner.Factory failing = (dest, sources) -> new ExtentCloner() {
            @Override
            public boolean clone(int source, long sourceOffset, long length, long destinationOffset)
                    throws IOException {
                throw new ImageException(dest.toString(), "cloning failed: Input/output error");
            }

            @Override
            public void close() {
            }
        };
        Path out = dir.resolve("flat.qcow2");
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            IOException e = assertThrows(IOException.class,
                    () -> Flattener.flatten(src, out, Flattener.Options.qcow2(), Progress.NONE, failing));
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
        }
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".partial")), "no partial file left");
        }
    }

    @Test
    void noReflinkNeverOpensACloner() throws Exception {
        Path out = dir.resolve("flat.qcow2");
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2().withReflink(false), Progress.NONE,
                    (dest, sources) -> {
                        throw new AssertionError("--no-reflink opened a cloner");
                    });
        }
        assertSameAsQemu(out, "qcow2", 16);
    }

    @Test
    void compressedOutputAndSmallClustersAreCopied() throws Exception {
        ExtentCloner.Factory none = (dest, sources) -> {
            throw new AssertionError("a cloner was opened");
        };
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, dir.resolve("c.qcow2"), Flattener.Options.qcow2().withCompression(true,
                    Qcow2Header.COMPRESSION_ZLIB), Progress.NONE, none);
            Flattener.flatten(src, dir.resolve("small.qcow2"), Flattener.Options.qcow2().withClusterBits(11),
                    Progress.NONE, none);
        }
        assertSameAsQemu(dir.resolve("small.qcow2"), "qcow2", 11);
        Qemu.assertClean(dir.resolve("c.qcow2"));
    }

    /** The kernel's FICLONERANGE on whatever the tests run on: shared or refused, the output is the chain. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"qcow2", "raw"})
    void theRealClonerGivesTheChainWhateverTheFileSystem(String format) throws Exception {
        List<Boolean> results = new ArrayList<>();
        ExtentCloner.Factory recording = (dest, sources) -> {
            FileClone real = FileClone.open(dest, sources);
            return new ExtentCloner() {
                @Override
                public boolean clone(int source, long sourceOffset, long length, long destinationOffset)
                        throws IOException {
                    boolean ok = real.clone(source, sourceOffset, length, destinationOffset);
                    results.add(ok);
                    return ok;
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        };
        Path out = flatten(format, 16, recording);
        assertFalse(results.isEmpty(), "cloning was tried");
        assertFalse(results.subList(0, results.size() - 1).contains(false), "nothing is tried after a refusal: "
                + results);
        assertSameAsQemu(out, format, 16);
    }

    private Path flatten(String format, int clusterBits, ExtentCloner.Factory cloners) throws IOException {
        Path out = dir.resolve("flat." + format);
        try (Image src = Images.open(dir.resolve("top.qcow2").toString())) {
            Flattener.flatten(src, out, Flattener.Options.qcow2().withFormat(format).withClusterBits(clusterBits),
                    Progress.NONE, cloners);
        }
        return out;
    }

    private void assertSameAsQemu(Path out, String format, int clusterBits) {
        String name = out.getFileName().toString();
        String cmp = Qemu.img(dir, "compare", "-f", "qcow2", "-F", format, "top.qcow2", name);
        assertTrue(cmp.contains("Images are identical."), cmp);
        String theirs = "theirs-" + name;
        Qemu.img(dir, "convert", "-O", format, "top.qcow2", theirs);
        String same = Qemu.img(dir, "compare", "-f", format, "-F", format, theirs, name);
        assertTrue(same.contains("Images are identical."), same);
        if (format.equals("qcow2")) {
            String check = Qemu.img(dir, "check", "--output=json", name);
            assertFalse(check.contains("\"corruptions\"") || check.contains("\"leaks\""), check);
            String info = Qemu.img(dir, "info", "--output=json", name);
            assertTrue(info.contains("\"cluster-size\": " + (1 << clusterBits)), info);
        }
    }
}
