package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data clusters past the end of a truncated file: qemu reads them as zeros, {@link PastEnd}
 * decides what we do. The image holds 1 MiB of 0x5a at guest 0, its data clusters ending the file.
 */
class PastEndTest {
    @TempDir
    Path dir;
    Path image;
    long cut;

    @BeforeEach
    void truncatedImage() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "a.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x5a 0 1M", "a.qcow2");
        image = dir.resolve("a.qcow2");
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            cut = ch.size() - (256 << 10) - 4096; // the last 4 clusters and a bit of the one before
            ch.truncate(cut);
        }
    }

    @Test
    void qemusRuleReadsTheLostBytesAsZerosAsQemuDoes() throws Exception {
        byte[] ours = new byte[1 << 20];
        try (Image img = Images.open(image.toString())) {
            img.read(0, ByteBuffer.wrap(ours));
        }
        Path theirs = dir.resolve("theirs.raw");
        Qemu.img(dir, "convert", "-O", "raw", "a.qcow2", "theirs.raw");
        byte[] expected = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(theirs)) {
            ch.read(ByteBuffer.wrap(expected), 0);
        }
        assertArrayEquals(expected, ours);
        assertEquals(0, ours[ours.length - 1]);
        assertEquals(0x5a, ours[0]);
    }

    @Test
    void theFailRuleFailsTheReadNamingFileGuestOffsetAndHostOffset() throws Exception {
        try (Image img = Images.open(image.toString(), "qcow2", true, PastEnd.FAIL)) {
            ByteBuffer head = ByteBuffer.allocate(64 << 10);
            img.read(0, head); // the first cluster is whole
            ImageException e = assertThrows(ImageException.class, () -> img.read(0, ByteBuffer.allocate(1 << 20)));
            assertTrue(e.getMessage().startsWith(image + ": data for guest offset 0x"), e.getMessage());
            assertTrue(e.getMessage().contains("past end of file (0x" + Long.toHexString(cut) + ")"), e.getMessage());
        }
    }

    @Test
    void theWarningRuleWarnsOncePerFile() throws Exception {
        List<String> warnings = new ArrayList<>();
        try (Image img = Images.open(image.toString(), "qcow2", true, PastEnd.zerosWithWarning(warnings::add))) {
            img.read(0, ByteBuffer.allocate(1 << 20));
            img.read(0, ByteBuffer.allocate(1 << 20));
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("reads as zeros, as in qemu"), warnings.get(0));
    }

    @Test
    void checkDataBoundsFindsTheLostDataWithoutReadingIt() throws Exception {
        List<Long> guests = new ArrayList<>();
        try (Image img = Images.open(image.toString(), "qcow2", false)) {
            ((Qcow2Image) img).checkDataBounds((file, guest, host, length, size) -> {
                assertEquals(cut, size);
                assertEquals(cut, host, "reported from the first byte missing");
                guests.add(guest);
            });
        }
        assertEquals(List.of((1L << 20) - (256 << 10) - 4096), guests);
    }

    @Test
    void anIntactImagePassesCheckDataBounds() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "b.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x5a 0 1M", "b.qcow2");
        try (Image img = Images.open(dir.resolve("b.qcow2").toString(), "qcow2", false)) {
            ((Qcow2Image) img).checkDataBounds(PastEnd.FAIL);
        }
    }
}
