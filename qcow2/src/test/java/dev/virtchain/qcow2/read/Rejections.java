package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.HeaderFixture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

/** Opens an image the way every command does (open, read every guest byte, map) and expects one rejection. */
final class Rejections {
    private Rejections() {
    }

    /** Changes {@code f} as {@code change} says, writes it to {@code file} and expects {@code problem}. */
    static void rejects(Path file, HeaderFixture f, Consumer<HeaderFixture> change, String problem) throws IOException {
        change.accept(f);
        rejects(f.write(file), problem);
    }

    /** Writes the fixture cut to {@code length} bytes and expects {@code problem}. */
    static void rejectsTruncated(Path file, HeaderFixture f, int length, String problem) throws IOException {
        Files.write(file, Arrays.copyOf(f.bytes(), length));
        rejects(file, problem);
    }

    static void rejects(Path file, String problem) {
        rejects(file, null, problem);
    }

    /** Expects exactly {@code "<file>: <problem>"}, one line. */
    static void rejects(Path file, String format, String problem) {
        ImageException e = assertThrows(ImageException.class, () -> {
            try (Image img = Images.open(file.toString(), format, true)) {
                readEverything(img);
            }
        });
        assertEquals(file + ": " + problem, e.getMessage());
    }

    /** Reads every guest byte through the chain and walks the map, as info, map, compare and flatten do. */
    static void readEverything(Image img) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long pos = 0; pos < img.virtualSize(); pos += buf.capacity()) {
            buf.clear();
            img.read(pos, buf);
        }
        ChainMap.map(img);
    }
}
