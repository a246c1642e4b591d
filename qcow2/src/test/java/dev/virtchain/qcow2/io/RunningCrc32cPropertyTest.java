package dev.virtchain.qcow2.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * The checksum a {@link RunningCrc32c} follows equals the CRC-32C of the file read again, after
 * random overwrites, writes past the end (leaving holes), cuts, through an ordinary channel and
 * a direct one on the same file; and the algebra under it agrees with the JDK's CRC-32C.
 */
class RunningCrc32cPropertyTest {
    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    @Property(tries = 200)
    void appendingZerosToARegisterIsTheRegisterOfTheMessageWithZeros(@ForAll @Size(max = 300) byte[] m,
            @ForAll @IntRange(max = 5000) int zeros) {
        byte[] longer = new byte[m.length + zeros];
        System.arraycopy(m, 0, longer, 0, m.length);
        int shifted = Crc32cAlgebra.appendZeros(Crc32cAlgebra.register(crc(m), m.length), zeros);
        assertEquals(crc(longer), Crc32cAlgebra.crc(shifted, longer.length));
        assertEquals(crc(new byte[zeros]), Crc32cAlgebra.ofZeros(zeros));
    }

    @Property(tries = 200)
    void removingZerosUndoesAppendingThem(@ForAll int register, @ForAll @LongRange(max = 1L << 50) long bytes) {
        assertEquals(register, Crc32cAlgebra.removeZeros(Crc32cAlgebra.appendZeros(register, bytes), bytes));
    }

    /** One change to the file: a write of {@code length} random bytes at {@code pos}, or a cut to {@code pos}. */
    record Change(boolean cut, boolean direct, long pos, int length, long seed) {
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        Arbitrary<Change> write = Combinators.combine(Arbitraries.of(false, true),
                Arbitraries.longs().between(0, 300_000), Arbitraries.integers().between(0, 70_000),
                Arbitraries.longs()).as((direct, pos, len, seed) -> new Change(false, direct, pos, len, seed));
        Arbitrary<Change> alignedWrite = Combinators.combine(Arbitraries.integers().between(0, 64),
                Arbitraries.integers().between(1, 16), Arbitraries.longs())
                .as((block, blocks, seed) -> new Change(false, true, block * 4096L, blocks * 4096, seed));
        Arbitrary<Change> cut = Arbitraries.longs().between(0, 300_000).map(p -> new Change(true, false, p, 0, 0));
        return Arbitraries.frequencyOf(Tuple.of(6, write), Tuple.of(3, alignedWrite), Tuple.of(1, cut))
                .list().ofMaxSize(12);
    }

    @Property(tries = 150)
    void theChecksumFollowedEqualsTheFileReadAgain(@ForAll @IntRange(max = 200_000) int initial,
            @ForAll long seed, @ForAll("changes") List<Change> changes) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "crc");
        Path f = dir.resolve("file");
        try {
            byte[] start = new byte[initial];
            new Random(seed).nextBytes(start);
            Files.write(f, start);
            RunningCrc32c crc = RunningCrc32c.of(crc(start), start.length);
            try (FileChannel plain = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileChannel tracked = new CrcTrackingChannel(plain, plain, crc);
                    DirectData direct = DirectData.open(f, tracked, crc)) {
                for (Change c : changes) {
                    apply(c, tracked, direct);
                }
            }
            assertTrue(crc.value().isPresent());
            byte[] end = Files.readAllBytes(f);
            assertEquals(end.length, crc.length());
            assertEquals(crc(end), crc.value().getAsInt(), "after " + changes);
        } finally {
            Files.deleteIfExists(f);
            Files.delete(dir);
        }
    }

    private static void apply(Change c, FileChannel tracked, DirectData direct) throws IOException {
        if (c.cut()) {
            tracked.truncate(c.pos());
            return;
        }
        byte[] data = new byte[c.length()];
        new Random(c.seed()).nextBytes(data);
        ByteBuffer b = DirectData.allocateAligned(data.length);
        b.put(data).flip();
        DirectData.write(c.direct() ? direct : null, tracked, b, c.pos());
    }

    @Example
    void aChangeItCannotFollowLosesTrack() throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "crc");
        Path f = dir.resolve("file");
        try {
            Files.write(f, new byte[8192]);
            RunningCrc32c crc = RunningCrc32c.of(crc(new byte[8192]), 8192);
            try (FileChannel plain = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileChannel tracked = new CrcTrackingChannel(plain, plain, crc)) {
                tracked.map(FileChannel.MapMode.READ_WRITE, 0, 4096).put(0, (byte) 1);
            }
            assertTrue(crc.value().isEmpty());
        } finally {
            Files.deleteIfExists(f);
            Files.delete(dir);
        }
    }
}
