package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.io.DirectData;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WholeFileTest {
    @TempDir
    Path dir;

    /** A cold file: 12 MiB written past the page cache, then a tail that is no whole block. */
    private byte[] coldFile(Path f) throws Exception {
        int aligned = 12 << 20;
        byte[] model = new byte[aligned + 1234];
        new Random(7).nextBytes(model);
        Files.createFile(f);
        try (DirectData d = DirectData.open(f)) {
            ByteBuffer b = DirectData.allocateAligned(aligned);
            b.put(model, 0, aligned);
            assertTrue(d.write(b.flip(), 0));
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(model, aligned, 1234), aligned);
        }
        return model;
    }

    @Test
    void aColdFileIsReadWholeInOrderPastThePageCache() throws Exception {
        Path f = dir.resolve("cold");
        byte[] model = coldFile(f);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        WholeFile.read(f, chunk -> {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            got.write(b);
        });
        assertArrayEquals(model, got.toByteArray());
        try (FileChannel ch = FileChannel.open(f)) {
            assertFalse(DirectData.Reader.mostlyCached(ch, model.length), "read direct: the cache stays cold");
        }
    }

    @Test
    void aCachedFileAndAnEmptyOneAreReadWhole() throws Exception {
        Path f = dir.resolve("cached");
        byte[] model = new byte[(5 << 20) + 17];
        new Random(8).nextBytes(model);
        Files.write(f, model);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        WholeFile.read(f, chunk -> {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            got.write(b);
        });
        assertArrayEquals(model, got.toByteArray());
        Path empty = Files.createFile(dir.resolve("empty"));
        WholeFile.read(empty, chunk -> assertFalse(chunk.hasRemaining(), "no bytes"));
    }
}
