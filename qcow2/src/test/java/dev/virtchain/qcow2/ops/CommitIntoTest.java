package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.io.RunningCrc32c;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Committer#commitInto}, a prune's commit of a run of layers into the lowest, on two copies
 * of one chain: ours, and theirs by {@code qemu-img commit -b}. The file written must read what
 * the top read before (a raw image converted beforehand), as qemu's does, and pass qemu-img check;
 * the top and the layers between are not touched; the file written is read-only again.
 */
class CommitIntoTest {
    @TempDir
    Path root;
    Path ours;
    Path theirs;

    @BeforeEach
    void dirs() throws IOException {
        ours = Files.createDirectory(root.resolve("ours"));
        theirs = Files.createDirectory(root.resolve("theirs"));
    }

    private void both(String tool, String... args) {
        for (Path d : new Path[] {ours, theirs}) {
            if (tool.equals("img")) {
                Qemu.img(d, args);
            } else {
                Qemu.io(d, args);
            }
        }
    }

    private void readOnly(String... files) throws IOException {
        for (Path d : new Path[] {ours, theirs}) {
            for (String f : files) {
                Files.setPosixFilePermissions(d.resolve(f), PosixFilePermissions.fromString("r--------"));
            }
        }
    }

    /**
     * A backup chain: full (8M) <- inc1 <- inc2 <- inc3, with data, zero clusters, a compressed
     * cluster and a discard, some of each overriding the layer below.
     */
    private void backupChain() throws IOException {
        both("img", "create", "-q", "-f", "qcow2", "full.qcow2", "8M");
        both("io", "-c", "write -P 0x10 0 6M", "full.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "full.qcow2", "-F", "qcow2", "inc1.qcow2");
        both("io", "-c", "write -P 0x11 1M 1M", "-c", "write -z 3M 256k", "-c", "write -c -P 0x12 5M 64k",
                "inc1.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "inc1.qcow2", "-F", "qcow2", "inc2.qcow2");
        both("io", "-c", "write -P 0x21 1536k 1M", "-c", "write -P 0x22 3M 64k", "-c", "write -z 0 64k",
                "inc2.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "inc2.qcow2", "-F", "qcow2", "inc3.qcow2");
        both("io", "-c", "write -P 0x31 2M 100k", "-c", "discard 7M 64k", "-c", "write -P 0x32 7M 4k",
                "inc3.qcow2");
        readOnly("full.qcow2", "inc1.qcow2", "inc2.qcow2", "inc3.qcow2");
    }

    private static int crc32c(Path f) throws IOException {
        CRC32C c = new CRC32C();
        c.update(bytes(f));
        return (int) c.getValue();
    }

    private static byte[] bytes(Path f) throws IOException {
        return Files.readAllBytes(f);
    }

    private void assertIdentical(Path dir, String a, String b) {
        String cmp = Qemu.img(dir, "compare", "-U", a, b);
        assertTrue(cmp.contains("Images are identical."), a + " vs " + b + ": " + cmp);
    }

    /** Commits {@code top} through {@code through} into {@code into} with both tools and judges the result. */
    private void commitBoth(String into, List<String> through, String top, long size) throws IOException {
        Qemu.img(ours, "convert", "-U", "-O", "raw", top, "top-before.raw");
        byte[] topBytes = bytes(ours.resolve(top));
        List<byte[]> throughBytes = through.stream().map(f -> {
            try {
                return bytes(ours.resolve(f));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
        for (String f : List.of(into)) {
            Files.setPosixFilePermissions(theirs.resolve(f), PosixFilePermissions.fromString("rw-------"));
        }
        Qemu.img(theirs, "commit", "-q", "-b", into, top);

        RunningCrc32c crc = RunningCrc32c.of(crc32c(ours.resolve(into)), Files.size(ours.resolve(into)));
        Committer.commitInto(ours.resolve(top), through.stream().map(ours::resolve).toList(), ours.resolve(into), size,
                Progress.NONE, crc);

        assertEquals(crc32c(ours.resolve(into)), crc.value().getAsInt(), "the checksum followed the commit");
        Qemu.assertClean(ours.resolve(into));
        assertIdentical(ours, into, "top-before.raw");
        assertIdentical(root, "ours/" + into, "theirs/" + into);
        assertIdentical(ours, top, "top-before.raw");
        assertArrayEquals(topBytes, bytes(ours.resolve(top)), "the top is not written");
        for (int i = 0; i < through.size(); i++) {
            assertArrayEquals(throughBytes.get(i), bytes(ours.resolve(through.get(i))), through.get(i) + " is not written");
        }
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ours.resolve(into))),
                "the file written is read-only again");
        String info = Qemu.img(ours, "info", "-U", "--output=json", into);
        assertTrue(info.contains("\"virtual-size\": " + size), info);
    }

    @Test
    void aRunOfThreeLayersIsCommittedIntoTheFullAsQemuImgCommitBDoes() throws Exception {
        backupChain();
        commitBoth("full.qcow2", List.of("inc2.qcow2", "inc1.qcow2"), "inc3.qcow2", 8L << 20);
    }

    @Test
    void aTopIsCommittedIntoItsOwnBackingFileKeepingTheTop() throws Exception {
        backupChain();
        commitBoth("inc2.qcow2", List.of(), "inc3.qcow2", 8L << 20);
        Qemu.assertClean(ours.resolve("inc3.qcow2"));
    }

    @Test
    void aCommitIntoAMiddleLayerLeavesTheLayersBelowAlone() throws Exception {
        backupChain();
        byte[] full = bytes(ours.resolve("full.qcow2"));
        commitBoth("inc1.qcow2", List.of("inc2.qcow2"), "inc3.qcow2", 8L << 20);
        assertArrayEquals(full, bytes(ours.resolve("full.qcow2")));
        Qemu.assertClean(ours.resolve("full.qcow2"));
    }

    @Test
    void aGrownDiskGrowsTheFileWrittenAndItsNewRangeReadsAsTheTopDoes() throws Exception {
        both("img", "create", "-q", "-f", "qcow2", "full.qcow2", "4M");
        both("io", "-c", "write -P 0x10 0 4M", "full.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "full.qcow2", "-F", "qcow2", "inc1.qcow2", "6M");
        both("io", "-c", "write -P 0x11 4M 512k", "inc1.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "inc1.qcow2", "-F", "qcow2", "inc2.qcow2", "6M");
        both("io", "-c", "write -P 0x12 5M 64k", "inc2.qcow2");
        readOnly("full.qcow2", "inc1.qcow2", "inc2.qcow2");
        commitBoth("full.qcow2", List.of("inc1.qcow2"), "inc2.qcow2", 6L << 20);
    }

    @Test
    void whatALayerBetweenReadsAsZerosPastItsEndIsWrittenAsZeros() throws Exception {
        // The disk shrank to 4M at inc1 and grew back to 8M at inc2: inc2 reads zeros at 4M..8M,
        // where the full still holds 0x10.
        both("img", "create", "-q", "-f", "qcow2", "full.qcow2", "8M");
        both("io", "-c", "write -P 0x10 0 8M", "full.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "full.qcow2", "-F", "qcow2", "inc1.qcow2", "4M");
        both("io", "-c", "write -P 0x11 0 64k", "inc1.qcow2");
        both("img", "create", "-q", "-f", "qcow2", "-b", "inc1.qcow2", "-F", "qcow2", "inc2.qcow2", "8M");
        both("io", "-c", "write -P 0x12 7M 64k", "inc2.qcow2");
        readOnly("full.qcow2", "inc1.qcow2", "inc2.qcow2");
        Qemu.img(ours, "convert", "-U", "-O", "raw", "inc2.qcow2", "top-before.raw");
        Committer.commitInto(ours.resolve("inc2.qcow2"), List.of(ours.resolve("inc1.qcow2")),
                ours.resolve("full.qcow2"), 8L << 20, Progress.NONE);
        Qemu.assertClean(ours.resolve("full.qcow2"));
        assertIdentical(ours, "full.qcow2", "top-before.raw");
    }

    @Test
    void aChainThatDoesNotRunThroughTheNamedFilesIsRefusedBeforeAnythingIsWritten() throws Exception {
        backupChain();
        byte[] full = bytes(ours.resolve("full.qcow2"));
        ImageException e = assertThrows(ImageException.class, () -> Committer.commitInto(ours.resolve("inc3.qcow2"),
                List.of(ours.resolve("inc1.qcow2")), ours.resolve("full.qcow2"), 8L << 20, Progress.NONE));
        assertTrue(e.getMessage().contains("links to inc2.qcow2, not to inc1.qcow2 as the commit into full.qcow2"
                + " expects"), e.getMessage());
        assertArrayEquals(full, bytes(ours.resolve("full.qcow2")));
        Qemu.assertClean(ours.resolve("full.qcow2"));
    }

    @Test
    void aFileLargerThanTheSizeToHaveIsRefusedAndStaysReadOnly() throws Exception {
        backupChain();
        byte[] full = bytes(ours.resolve("full.qcow2"));
        ImageException e = assertThrows(ImageException.class, () -> Committer.commitInto(ours.resolve("inc1.qcow2"),
                List.of(), ours.resolve("full.qcow2"), 4L << 20, Progress.NONE));
        assertTrue(e.getMessage().contains("cutting an image is not supported"), e.getMessage());
        assertArrayEquals(full, bytes(ours.resolve("full.qcow2")));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ours.resolve("full.qcow2"))));
        Qemu.assertClean(ours.resolve("full.qcow2"));
    }
}
