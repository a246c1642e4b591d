package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.testing.ImageMatrix;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Every guest byte of every matrix image, read through {@link Images#open}, equals qemu-img convert's raw output. */
class MatrixReadTest {
    private static final int CHUNK = 1 << 20;

    @TempDir
    static Path root;

    @TestFactory
    Stream<DynamicTest> guest_bytes_equal_qemu_img_convert() {
        return ImageMatrix.all().stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            Path top = f.build(root);
            Path raw = root.resolve(f.name() + ".converted.raw");
            Qemu.img(root, "convert", "-O", "raw", top.toString(), raw.toString());
            assertSameGuestBytes(top, raw);
        }));
    }

    private static void assertSameGuestBytes(Path top, Path raw) throws IOException {
        try (Image img = Images.open(top.toString()); FileChannel expected = FileChannel.open(raw)) {
            assertEquals(expected.size(), img.virtualSize(), "virtual size");
            ByteBuffer want = ByteBuffer.allocate(CHUNK);
            ByteBuffer got = ByteBuffer.allocate(CHUNK);
            for (long off = 0; off < img.virtualSize(); off += CHUNK) {
                int n = (int) Math.min(CHUNK, img.virtualSize() - off);
                want.clear().limit(n);
                while (want.hasRemaining() && expected.read(want, off + want.position()) > 0) {
                    // positional reads until the chunk is full
                }
                got.clear().limit(n);
                img.read(off, got);
                want.flip();
                got.flip();
                if (!want.equals(got)) {
                    int i = 0;
                    while (want.get(i) == got.get(i)) {
                        i++;
                    }
                    fail(String.format("guest byte 0x%x reads 0x%02x, qemu-img convert says 0x%02x", off + i,
                            got.get(i), want.get(i)));
                }
            }
        }
    }
}
