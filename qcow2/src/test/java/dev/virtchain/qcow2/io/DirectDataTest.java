package dev.virtchain.qcow2.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirectDataTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1, 4095, 4096, 65536, 65537, 1 << 20, (1 << 20) + 512})
    void alignedBuffersHoldExactlyTheSizeAskedAtAnAlignedAddress(int size) {
        ByteBuffer b = DirectData.allocateAligned(size);
        assertTrue(b.isDirect());
        assertEquals(size, b.capacity());
        assertEquals(0, b.alignmentOffset(0, 65536), "aligned for any block size up to 64 KiB");
    }

    @Test
    void onlyWholeAlignedBlocksFromAlignedDirectBuffersGoPastThePageCache() throws Exception {
        Path f = dir.resolve("f");
        Files.createFile(f);
        try (DirectData d = DirectData.open(f)) {
            assertNotNull(d, "the test directory's file system takes O_DIRECT (ext4 or xfs expected)");
            int a = d.alignment();
            ByteBuffer b = DirectData.allocateAligned(4 * a);
            assertTrue(d.fits(b, 0));
            assertTrue(d.fits(b, 3L * a));
            assertFalse(d.fits(b, 512 == a ? 1 : 512), "position inside a block");
            assertFalse(d.fits(b.slice(0, a + 1), 0), "length not whole blocks");
            assertFalse(d.fits(b.slice(1, a), 0), "address inside a block");
            assertFalse(d.fits(b.slice(0, 0), 0), "nothing to write");
            assertFalse(d.fits(ByteBuffer.allocate(4 * a), 0), "heap buffer");
            ByteBuffer unfit = b.slice(1, a);
            assertFalse(d.write(unfit, 0), "refused");
            assertEquals(a, unfit.remaining(), "and nothing consumed");
            assertEquals(0, Files.size(f), "nor written");
        }
    }

    @Test
    void directWritesLandWhereAskedNextToCachedOnes() throws Exception {
        Path f = dir.resolve("f");
        Files.createFile(f);
        byte[] model = new byte[24 << 16]; // 24 blocks of up to 64 KiB
        new Random(7).nextBytes(model);
        try (DirectData d = DirectData.open(f);
                var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            int a = d.alignment();
            ByteBuffer b = DirectData.allocateAligned(8 * a);
            // blocks 8..15 direct, block 2 cached, blocks 16..23 direct again past the end
            assertTrue(d.write(b.clear().put(model, 8 * a, 8 * a).flip(), 8L * a));
            ch.write(ByteBuffer.wrap(model, 2 * a, a), 2L * a);
            assertTrue(d.write(b.clear().put(model, 16 * a, 8 * a).flip(), 16L * a));
            ch.force(true);
            byte[] back = Files.readAllBytes(f);
            assertEquals(24 * a, back.length);
            byte[] want = new byte[24 * a];
            System.arraycopy(model, 2 * a, want, 2 * a, a);
            System.arraycopy(model, 8 * a, want, 8 * a, 16 * a);
            assertArrayEquals(want, back);
        }
    }

    @Test
    void aFileWrittenPastTheCacheIsColdAndReadingItWarmsIt() throws Exception {
        Path f = dir.resolve("f");
        Files.createFile(f);
        int size = 8 << 20;
        try (DirectData d = DirectData.open(f)) {
            ByteBuffer b = DirectData.allocateAligned(size);
            new Random(3).ints(size / 4).forEach(b::putInt);
            assertTrue(d.write(b.flip(), 0));
        }
        try (var ch = java.nio.channels.FileChannel.open(f)) {
            assertFalse(DirectData.Reader.mostlyCached(ch, size), "written with O_DIRECT: not in the page cache");
            try (DirectData.Reader r = DirectData.Reader.openIfCold(f, ch, size)) {
                assertNotNull(r, "a cold file gets a direct handle");
                ByteBuffer b = DirectData.allocateAligned(1 << 20);
                assertTrue(r.fits(b, 1 << 20));
                assertFalse(r.fits(b.slice(512, 4096), 0), "address inside a block");
                r.channel().read(b, 1 << 20);
                assertFalse(DirectData.Reader.mostlyCached(ch, size), "a direct read leaves the cache alone");
            }
            ch.read(ByteBuffer.allocate(size), 0);
            assertTrue(DirectData.Reader.mostlyCached(ch, size), "read through the page cache: cached");
            assertEquals(null, DirectData.Reader.openIfCold(f, ch, size), "a cached file keeps the page cache");
        }
    }

    /** tmpfs (as any file system but ext4 and XFS) keeps the page cache: no direct handle. */
    @Test
    void otherFileSystemsKeepThePageCache() throws Exception {
        Path shm = Path.of("/dev/shm");
        assertEquals("tmpfs", Files.getFileStore(shm).type(), "/dev/shm is a tmpfs on the test machine");
        Path f = Files.createTempFile(shm, "directdata", ".img");
        try (var ch = java.nio.channels.FileChannel.open(f)) {
            assertEquals(null, DirectData.open(f));
            assertEquals(null, DirectData.Reader.openIfCold(f, ch, Files.size(f)));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void aBufferGivenBackIsHandedOutAgainClearedAndOnlyForItsSize() {
        DirectData.forgetSpares();
        int size = 3 * 65536 + 512;
        ByteBuffer a = DirectData.allocateAligned(size);
        a.put((byte) 1).flip();
        DirectData.reuse(a);
        assertNotSame(a, DirectData.allocateAligned(size + 4096), "another size");
        ByteBuffer again = DirectData.allocateAligned(size);
        assertSame(a, again);
        assertEquals(0, again.position());
        assertEquals(size, again.limit());
        assertEquals(0, again.alignmentOffset(0, 65536), "still aligned");
        assertNotSame(again, DirectData.allocateAligned(size), "handed out once");
    }

    @Test
    void noMoreThan64MiBIsKeptForReuse() {
        DirectData.forgetSpares();
        int size = 5 << 20;
        List<ByteBuffer> given = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // 100 MiB
            given.add(DirectData.allocateAligned(size));
        }
        given.forEach(DirectData::reuse);
        Set<ByteBuffer> back = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < 20; i++) {
            back.add(DirectData.allocateAligned(size));
        }
        long reused = given.stream().filter(back::contains).count();
        assertEquals(12, reused, "of 20 buffers of 5 MiB, those that fit in 64 MiB are reused");
    }
}
