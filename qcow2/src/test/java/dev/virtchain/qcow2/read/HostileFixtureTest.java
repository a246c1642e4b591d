package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.format.HeaderFixture;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-built fixture really is a valid image: we read it, and qemu-img check calls it clean. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileFixtureTest {
    @TempDir
    Path dir;

    @Test
    void the_unchanged_fixture_opens_and_qemu_img_check_calls_it_clean() throws IOException {
        assertValid(HeaderFixture.valid());
    }

    @Test
    void the_fixture_with_a_snapshot_and_a_bitmap_opens_and_qemu_img_check_calls_it_clean() throws IOException {
        Path file = assertValid(HeaderFixture.valid().withSnapshot().withBitmap());
        try (Qcow2Image img = (Qcow2Image) Images.open(file.toString())) {
            assertEquals("before-update", img.snapshots().get(0).name());
            assertEquals("b0", img.bitmaps().get(0).name());
        }
        String info = Qemu.img(dir, "info", file.toString());
        assertTrue(info.contains("before-update") && info.contains("b0"), info);
    }

    @Test
    void the_fixture_with_extended_l2_entries_opens_and_qemu_img_check_calls_it_clean() throws IOException {
        assertValid(HeaderFixture.valid().withExtendedL2());
    }

    @Test
    void the_fixture_with_512_byte_clusters_opens_and_qemu_img_check_calls_it_clean() throws IOException {
        assertValid(new HeaderFixture(9));
    }

    @Test
    void the_fixture_with_a_backing_file_reads_through_to_it() throws IOException {
        new HeaderFixture(9).write(dir.resolve("base.qcow2"));
        HeaderFixture top = new HeaderFixture(9).withBacking("base.qcow2", "qcow2");
        top.l1Entry0 = 0; // nothing allocated: every byte comes from the base
        Path file = top.write(dir.resolve("top.qcow2"));
        assertClean(file);
        try (Image img = Images.open(file.toString())) {
            assertEquals(HeaderFixture.DATA_BYTE, readAll(img)[0]);
            assertEquals("base.qcow2", ((Qcow2Image) img).header().backingFile());
        }
        assertEquals("", Qemu.img(dir, "compare", file.toString(), dir.resolve("base.qcow2").toString())
                .replace("Images are identical.\n", ""));
    }

    private Path assertValid(HeaderFixture f) throws IOException {
        Path file = f.write(dir.resolve("fixture.qcow2"));
        assertClean(file);
        try (Image img = Images.open(file.toString())) {
            byte[] guest = readAll(img);
            byte[] expected = new byte[(int) f.size];
            Arrays.fill(expected, 0, (int) f.cs, HeaderFixture.DATA_BYTE);
            assertArrayEquals(expected, guest);
            assertEquals(f.size, img.virtualSize());
        }
        // qemu reads the same bytes: the fixture's mapping is what we think it is.
        Path raw = dir.resolve("fixture.raw");
        Qemu.img(dir, "convert", "-O", "raw", file.toString(), raw.toString());
        assertArrayEquals(readAll(Images.open(raw.toString(), "raw", false)), readAllAndClose(file));
        return file;
    }

    private void assertClean(Path file) {
        String check = Qemu.img(dir, "check", file.toString());
        assertTrue(check.startsWith("No errors were found on the image.\n"), check);
    }

    private static byte[] readAllAndClose(Path file) throws IOException {
        try (Image img = Images.open(file.toString())) {
            return readAll(img);
        }
    }

    static byte[] readAll(Image img) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) img.virtualSize());
        img.read(0, b);
        return b.array();
    }
}
