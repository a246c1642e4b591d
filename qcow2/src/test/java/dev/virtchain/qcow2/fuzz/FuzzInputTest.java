package dev.virtchain.qcow2.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fuzz input encoding: what a seed encodes is the file it was made from. */
class FuzzInputTest {
    @TempDir
    Path dir;

    private byte[] roundTrip(byte[] file, byte... options) throws IOException {
        byte[] input = FuzzInput.encode(file, options);
        FuzzInput in = FuzzInput.decode(input);
        Path written = dir.resolve("f");
        in.writeTo(written);
        assertArrayEquals(file, Files.readAllBytes(written));
        assertEquals(file.length, in.fileLength());
        for (int i = 0; i < options.length; i++) {
            assertEquals(options[i] & 0xff, in.option(i));
        }
        return input;
    }

    @Test
    void aFileOfMostlyZerosIsSpreadOutSmallAndWritesBackTheSameBytes() throws IOException {
        byte[] file = new byte[6 << 20]; // three 2 MiB clusters, a little at the start of each
        for (int c = 0; c < 3; c++) {
            Arrays.fill(file, c << 21, (c << 21) + 300, (byte) (c + 1));
        }
        file[(4 << 20) + 1000] = 9;
        assertTrue(roundTrip(file).length < 8192, "spread out");
    }

    @Test
    void aDenseFileIsKeptAsItIsUnlessItHasOptions() throws IOException {
        byte[] file = new byte[5000];
        new Random(1).nextBytes(file);
        assertArrayEquals(file, roundTrip(file));
        assertEquals(file.length + FuzzInput.TRAILER, roundTrip(file, (byte) 2, (byte) 7).length);
    }

    @Test
    void zerosAtTheEndBecomeTheTail() throws IOException {
        byte[] file = new byte[1 << 20];
        file[0] = 1;
        file[(1 << 19) + 3] = 2;
        roundTrip(file, (byte) 1);
    }

    @Test
    void anyBytesDecodeToSomeFile() throws IOException {
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            byte[] input = new byte[r.nextInt(200)];
            r.nextBytes(input);
            if (i % 2 == 0 && input.length >= FuzzInput.TRAILER) {
                System.arraycopy(FuzzInput.MAGIC, 0, input, input.length - FuzzInput.TRAILER, FuzzInput.MAGIC.length);
                input[input.length - 6] = 0; // a tail below 16 MiB keeps the test small
                input[input.length - 7] = 0;
            }
            FuzzInput in = FuzzInput.decode(input);
            Path f = dir.resolve("any");
            in.writeTo(f);
            assertEquals(in.fileLength(), Files.size(f));
        }
    }
}
