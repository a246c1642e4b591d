package dev.virtchain.qcow2.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the check assertions let through: qemu-img check's verdict, not qemu-img compare's. */
class QemuTest {
    private static final long CLUSTER = 64 << 10;

    @TempDir
    Path dir;

    /** 1 MiB of data in a fresh 8 MiB image: header, refcount table and block, L1, L2, then 16 data clusters. */
    private Path image() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "img.qcow2", "8M");
        Qemu.io(dir, "-c", "write -P 1 0 1M", "img.qcow2");
        return dir.resolve("img.qcow2");
    }

    @Test
    void aCleanImagePassesBoth() {
        Path img = image();
        Qemu.assertClean(img);
        Qemu.assertNoCorruption(img);
    }

    @Test
    void clustersMappedPastTheEndOfTheFileFailBothThoughCompareCallsThemIdentical() throws IOException {
        Path img = image();
        try (FileChannel f = FileChannel.open(img, StandardOpenOption.WRITE)) {
            f.truncate(f.size() - 4 * CLUSTER);
        }
        assertTrue(Qemu.img(dir, "compare", "img.qcow2", "img.qcow2").contains("Images are identical."));
        AssertionError e = assertThrows(AssertionError.class, () -> Qemu.assertClean(img));
        assertTrue(e.getMessage().contains("exited 2 (corruptions)") && e.getMessage().contains("end of the file"),
                e.getMessage());
        assertThrows(AssertionError.class, () -> Qemu.assertNoCorruption(img));
    }

    @Test
    void aLeakedClusterFailsOnlyTheStrictCheck() throws IOException {
        Path img = image();
        try (FileChannel f = FileChannel.open(img, StandardOpenOption.WRITE)) {
            long leaked = f.size() / CLUSTER; // a cluster appended to the file, counted but never referenced
            f.write(ByteBuffer.allocate((int) CLUSTER), f.size());
            f.write(ByteBuffer.allocate(2).putShort(0, (short) 1), 2 * CLUSTER + 2 * leaked); // 16-bit refcounts
        }
        AssertionError e = assertThrows(AssertionError.class, () -> Qemu.assertClean(img));
        assertTrue(e.getMessage().contains("exited 3 (leaked clusters)"), e.getMessage());
        Qemu.assertNoCorruption(img);
    }
}
