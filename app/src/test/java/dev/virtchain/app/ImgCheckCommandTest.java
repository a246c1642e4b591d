package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code virtchain img check} against {@code qemu-img check}: same stdout, same problem lines, same exit code. */
class ImgCheckCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    private String image(String... ioCommands) {
        Qemu.img(dir, "create", "-f", "qcow2", "disk.qcow2", "10M");
        String[] args = new String[ioCommands.length * 2 + 1];
        for (int i = 0; i < ioCommands.length; i++) {
            args[2 * i] = "-c";
            args[2 * i + 1] = ioCommands[i];
        }
        args[args.length - 1] = "disk.qcow2";
        if (ioCommands.length > 0) {
            Qemu.io(dir, args);
        }
        return dir.resolve("disk.qcow2").toString();
    }

    /** Runs both on {@code file} (an absolute path, so both print the same filename) and compares. */
    private CliDriver.Result assertSameAsQemu(String file, String... options) {
        String[] qemuArgs = new String[options.length + 2];
        qemuArgs[0] = "check";
        System.arraycopy(options, 0, qemuArgs, 1, options.length);
        qemuArgs[qemuArgs.length - 1] = file;
        Qemu.Result qemu = Qemu.run(dir, "qemu-img", qemuArgs);

        String[] ours = new String[options.length + 3];
        ours[0] = "img";
        ours[1] = "check";
        System.arraycopy(options, 0, ours, 2, options.length);
        ours[ours.length - 1] = file;
        CliDriver.Result r = CLI.run(ours);

        assertEquals(qemu.exitCode(), r.exitCode(), "exit code; qemu-img said:\n" + qemu.stderr());
        assertEquals(qemu.stdout(), r.stdout());
        assertEquals(qemu.stderr().replace("qemu-img: ", "virtchain: "), r.stderr());
        return r;
    }

    private static void poke(String file, long offset, long value) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(file), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).putLong(0, value), offset);
        }
    }

    private static long peek(String file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(file), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, offset);
            return b.getLong(0);
        }
    }

    @Test
    void an_empty_image_prints_what_qemu_img_prints() {
        String f = image();
        assertEquals(0, assertSameAsQemu(f).exitCode());
        assertSameAsQemu(f, "--output=json");
    }

    @Test
    void an_image_with_data_compressed_and_fragmented_clusters_prints_what_qemu_img_prints() {
        String f = image("write -P 1 0 128k", "write -c -P 2 1M 64k", "write -P 3 512k 64k", "write -P 4 192k 64k");
        CliDriver.Result r = assertSameAsQemu(f, "--output=json");
        assertTrue(r.stdout().contains("\"compressed-clusters\": 1"), r.stdout());
        assertSameAsQemu(f);
    }

    @Test
    void a_leaky_image_exits_3_with_the_leak_summary() throws IOException {
        String f = image("write -P 1 0 64k");
        long refblock = peek(f, peek(f, 48)); // refcount table entry 0
        try (FileChannel ch = FileChannel.open(Path.of(f), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(2).putShort(0, (short) 2), refblock); // header cluster refcount 1 -> 2
        }
        CliDriver.Result r = assertSameAsQemu(f);
        assertEquals(3, r.exitCode());
        assertTrue(r.stdout().contains("1 leaked clusters were found on the image."), r.stdout());
        assertSameAsQemu(f, "--output=json");
    }

    @Test
    void a_corrupt_image_exits_2_with_the_error_summary() throws IOException {
        String f = image("write -P 1 0 64k");
        long l1 = peek(f, 40);
        poke(f, l1, peek(f, l1) & ~(1L << 63)); // clear COPIED in L1 entry 0
        CliDriver.Result r = assertSameAsQemu(f);
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("ERROR OFLAG_COPIED L2 cluster: l1_index=0"), r.stderr());
        assertSameAsQemu(f, "--output=json");
    }

    @Test
    void a_misaligned_refcount_block_fails_the_check_with_exit_1() throws IOException {
        String f = image("write -P 1 0 64k");
        long reftable = peek(f, 48);
        poke(f, reftable, peek(f, reftable) + 0x200);
        assertEquals(1, assertSameAsQemu(f).exitCode());
        assertSameAsQemu(f, "--output=json");
    }

    @Test
    void a_raw_image_cannot_be_checked_and_exits_63() {
        Qemu.img(dir, "create", "-f", "raw", "disk.raw", "1M");
        String f = dir.resolve("disk.raw").toString();
        assertEquals(63, assertSameAsQemu(f).exitCode());
        assertEquals(63, assertSameAsQemu(f, "-f", "raw").exitCode());
    }

    @Test
    void a_qcow2_image_checked_as_raw_exits_63() {
        assertEquals(63, assertSameAsQemu(image(), "-f", "raw").exitCode());
    }

    @Test
    void a_missing_file_fails_with_exit_1() {
        CliDriver.Result r = CLI.run("img", "check", dir.resolve("nope.qcow2").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().startsWith("virtchain: "), r.stderr());
    }

    @Test
    void quiet_prints_nothing_but_keeps_the_exit_code() throws IOException {
        String f = image("write -P 1 0 64k");
        long refblock = peek(f, peek(f, 48));
        try (FileChannel ch = FileChannel.open(Path.of(f), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(2).putShort(0, (short) 2), refblock);
        }
        CliDriver.Result r = assertSameAsQemu(f, "-q");
        assertEquals("", r.stdout());
        assertEquals(3, r.exitCode());
    }

    @Test
    void help_shows_examples() {
        CliDriver.Result r = CLI.run("img", "check", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.stdout().contains("virtchain img check --output=json"), r.stdout());
    }
}
