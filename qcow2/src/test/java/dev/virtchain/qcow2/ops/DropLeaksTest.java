package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.testing.Qemu;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LeakRepair#dropLeaks}: what a writer killed inside its flush leaves (clusters counted but
 * not referenced) is freed, as {@code qemu-img check -r leaks} frees it; qemu-img check is the judge.
 * The leaks are made by hand, in the refcount block qemu-img wrote: the header's cluster counted twice,
 * the refcount table's three times.
 */
class DropLeaksTest {
    @TempDir
    Path dir;

    private static long u64(FileChannel ch, long at) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8);
        ch.read(b, at);
        return b.flip().getLong();
    }

    private static void setRefcount(FileChannel ch, long cluster, int refcount) throws Exception {
        long table = u64(ch, 48);
        long block = u64(ch, table);
        ch.write(ByteBuffer.allocate(2).putShort(0, (short) refcount), block + 2 * cluster);
    }

    @Test
    void leakedClustersAreFreedAndTheGuestViewStays() throws Exception {
        Path img = dir.resolve("leaky.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", img.toString(), "16M");
        Qemu.io(dir, "-c", "write -P 0x5a 1M 2M", img.toString());
        Qemu.img(dir, "convert", "-O", "raw", img.toString(), dir.resolve("before.raw").toString());
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            setRefcount(ch, 0, 2);
            setRefcount(ch, u64(ch, 48) >> 16, 3); // the refcount table's cluster

        }
        Qemu.Result leaky = Qemu.run(dir, "qemu-img", "check", img.toString());
        assertEquals(3, leaky.exitCode(), "two leaks made: " + leaky.stdout() + leaky.stderr());
        assertTrue(leaky.stdout().contains("2 leaked clusters"), leaky.stdout());

        assertEquals(2, LeakRepair.dropLeaks(img));
        Qemu.assertClean(img);
        String cmp = Qemu.img(dir, "compare", img.toString(), dir.resolve("before.raw").toString());
        assertTrue(cmp.contains("Images are identical."), cmp);
        assertEquals(0, LeakRepair.dropLeaks(img), "nothing left to drop");
        Qemu.assertClean(img);
    }

    @Test
    void aCleanImageIsNotWritten() throws Exception {
        Path img = dir.resolve("clean.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", img.toString(), "16M");
        Qemu.io(dir, "-c", "write -P 0x5a 0 1M", img.toString());
        byte[] before = Files.readAllBytes(img);
        assertEquals(0, LeakRepair.dropLeaks(img));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(img)), "unchanged");
        Qemu.assertClean(img);
    }
}
