package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.HeaderFixture;
import dev.virtchain.qcow2.format.Qcow2Header;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backing chain rules: what a hostile backing link may not make us open. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileChainTest {
    @TempDir
    Path dir;

    /** A small (512-byte cluster) fixture linking to {@code backing}, or standing alone when null. */
    private Path image(String name, String backing) throws IOException {
        HeaderFixture f = new HeaderFixture(9);
        if (backing != null) {
            f.withBacking(backing, "qcow2");
        }
        return f.write(dir.resolve(name));
    }

    @Test
    void a_chain_that_loops_back_is_refused() throws IOException {
        Path a = image("a.qcow2", "b.qcow2");
        Path b = image("b.qcow2", "a.qcow2");
        // The message names the image whose link closes the loop.
        assertEquals(b + ": backing chain loops back to " + a, rejection(a));
    }

    @Test
    void an_image_that_is_its_own_backing_file_is_refused() throws IOException {
        Path a = image("a.qcow2", "a.qcow2");
        assertEquals(a + ": backing chain loops back to " + a, rejection(a));
    }

    @Test
    void an_nbd_backing_name_is_refused_naming_the_protocol() throws IOException {
        Path top = image("top.qcow2", "nbd:localhost:10809");
        Rejections.rejects(top, "backing file 'nbd:localhost:10809' uses protocol 'nbd', which virtchain does not open"
                + " (only local files)");
    }

    @Test
    void a_json_backing_name_is_refused_naming_the_protocol() throws IOException {
        String name = "json:{\"file.driver\":\"file\",\"file.filename\":\"/etc/shadow\"}";
        Path top = image("top.qcow2", name);
        Rejections.rejects(top, "backing file '" + name + "' uses protocol 'json', which virtchain does not open"
                + " (only local files)");
    }

    @Test
    void an_http_backing_name_is_refused_naming_the_protocol() throws IOException {
        Path top = image("top.qcow2", "http://example.com/base.qcow2");
        Rejections.rejects(top, "backing file 'http://example.com/base.qcow2' uses protocol 'http', which virtchain"
                + " does not open (only local files)");
    }

    @Test
    void a_protocol_data_file_name_is_refused_naming_the_protocol() throws IOException {
        HeaderFixture f = new HeaderFixture(9);
        f.incompatibleFeatures |= Qcow2Header.INCOMPAT_DATA_FILE;
        f.dataFile = "nbd:localhost:10809";
        Path top = f.write(dir.resolve("top.qcow2"));
        Rejections.rejects(top, "data file 'nbd:localhost:10809' uses protocol 'nbd', which virtchain does not open"
                + " (only local files)");
    }

    @Test
    void a_missing_backing_file_is_refused_naming_both_files() throws IOException {
        Path top = image("top.qcow2", "gone.qcow2");
        Rejections.rejects(top, "backing file 'gone.qcow2' (" + dir.resolve("gone.qcow2") + ") does not exist");
    }

    @Test
    void a_chain_of_1024_images_opens() throws IOException {
        chain(1024);
        try (Image top = Images.open(dir.resolve("img0000.qcow2").toString())) {
            Rejections.readEverything(top);
        }
    }

    @Test
    void a_chain_deeper_than_1024_images_is_refused() throws IOException {
        chain(1025);
        assertEquals(dir.resolve("img1023.qcow2") + ": backing chain is deeper than 1024 images",
                rejection(dir.resolve("img0000.qcow2")));
    }

    @Test
    void a_backing_name_naming_a_fifo_is_refused_instead_of_blocking() throws Exception {
        Process p = new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start();
        assertEquals(true, p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo");
        Path top = image("top.qcow2", "fifo");
        assertEquals(dir.resolve("fifo") + ": is not a regular file or block device", rejection(top));
    }

    @Test
    void a_backing_name_naming_a_directory_is_refused() throws IOException {
        Files.createDirectory(dir.resolve("sub"));
        Path top = image("top.qcow2", "sub");
        assertEquals(dir.resolve("sub") + ": is a directory, not an image file", rejection(top));
    }

    @Test
    void a_backing_name_ends_at_its_first_nul_byte_as_in_qemu() throws IOException {
        image("base.qcow2", null);
        Path top = image("top.qcow2", "base.qcow2\0junk");
        try (Image img = Images.open(top.toString())) {
            assertEquals(dir.resolve("base.qcow2").toString(), img.backing().filename());
        }
    }

    private void chain(int images) throws IOException {
        for (int i = 0; i < images; i++) {
            image(String.format("img%04d.qcow2", i), i + 1 < images ? String.format("img%04d.qcow2", i + 1) : null);
        }
    }

    private static String rejection(Path top) {
        return org.junit.jupiter.api.Assertions.assertThrows(ImageException.class, () -> {
            try (Image img = Images.open(top.toString())) {
                Rejections.readEverything(img);
            }
        }).getMessage();
    }
}
