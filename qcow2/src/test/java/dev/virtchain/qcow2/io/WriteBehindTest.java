package dev.virtchain.qcow2.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteBehindTest {
    @TempDir
    Path dir;

    @Test
    void writesInFlightLandWhereAskedByTheDrain() throws Exception {
        Path f = dir.resolve("f");
        byte[] model = new byte[16 << 16];
        new Random(5).nextBytes(model);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                WriteBehind w = new WriteBehind(ch, 3)) {
            for (int i = 15; i >= 0; i--) { // out of order, each buffer reused at once
                ByteBuffer b = ByteBuffer.wrap(model, i << 16, 1 << 16);
                w.write(b, (long) i << 16);
            }
            w.drain();
        }
        assertArrayEquals(model, Files.readAllBytes(f));
    }

    /**
     * A failed write is reported by every later drain, not only the first: a writer whose close
     * flushes after the failure must not write metadata that points at the data never written.
     */
    @Test
    void aFailedWriteFailsEveryLaterDrainAndTheClose() throws Exception {
        Path f = dir.resolve("f");
        Files.createFile(f);
        try (FileChannel readOnly = FileChannel.open(f, StandardOpenOption.READ)) {
            WriteBehind w = new WriteBehind(readOnly, 2);
            w.write(ByteBuffer.allocate(4096), 0);
            assertThrows(IOException.class, w::drain);
            assertThrows(IOException.class, w::drain, "still failed");
            assertThrows(IOException.class, () -> w.write(ByteBuffer.allocate(4096), 4096), "and so are writes");
            assertThrows(IOException.class, w::close);
        }
    }
}
