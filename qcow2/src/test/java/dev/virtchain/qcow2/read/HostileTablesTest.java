package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.format.Bitmap;
import dev.virtchain.qcow2.format.HeaderFixture;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.io.Zeros;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per rule of the tables behind the header: snapshot table, bitmap directory, L1 and
 * L2 entries. Each changes one field of the valid {@link HeaderFixture}.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileTablesTest {
    private static final String BITMAP = "bitmap directory entry 0 'b0'";

    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void name() {
        file = dir.resolve("fixture.qcow2");
    }

    private void rejectsSnapshot(Consumer<HeaderFixture> change, String problem) throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withSnapshot(), change, problem);
    }

    private void rejectsBitmap(Consumer<HeaderFixture> change, String problem) throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), change, problem);
    }

    private void rejects(Consumer<HeaderFixture> change, String problem) throws IOException {
        Rejections.rejects(file, HeaderFixture.valid(), change, problem);
    }

    // ---- snapshot table ----

    @Test
    void snapshot_extra_data_above_1024_bytes_is_refused() throws IOException {
        rejectsSnapshot(f -> f.snapshotExtraDataSize = 1025,
                "snapshot table entry 0 has extra_data_size 1025 (at most 1024)");
    }

    @Test
    void a_snapshot_l1_size_above_qemus_limit_is_refused() throws IOException {
        rejectsSnapshot(f -> f.snapshotL1Size = 4194305, "snapshot table entry 0 has l1_size 4194305 (at most 4194304)");
    }

    @Test
    void an_unaligned_snapshot_l1_table_is_refused() throws IOException {
        rejectsSnapshot(f -> f.snapshotL1TableOffset = 0x70008,
                "snapshot table entry 0 l1_table_offset 0x70008 is not cluster aligned");
    }

    @Test
    void a_snapshot_l1_table_past_the_end_of_the_file_is_refused() throws IOException {
        rejectsSnapshot(f -> f.snapshotL1TableOffset = 0x80000,
                "l1 table (snapshot table entry 0 l1_table_offset 0x80000, 8 bytes) runs past end of file (0x80000)");
    }

    @Test
    void a_snapshot_table_above_64_mib_is_refused_before_its_names_pile_up() throws IOException {
        HeaderFixture f = HeaderFixture.valid().withSnapshot();
        f.nbSnapshots = 600;
        f.write(file);
        // A sparse file of entries with the longest id and name: 131112 bytes each.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 512; i++) {
                ByteBuffer e = ByteBuffer.allocate(40).putShort(12, (short) 0xffff).putShort(14, (short) 0xffff);
                ch.write(e, 0x60000 + i * 131112L);
            }
            ch.write(ByteBuffer.allocate(1), 0x60000 + 512 * 131112L);
        }
        Rejections.rejects(file, "snapshot table entry 511 ends 67129342 bytes into the snapshot table,"
                + " which may hold at most 67108864");
    }

    // ---- bitmap directory ----

    @Test
    void a_bitmap_directory_with_fewer_entries_than_counted_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapsCount = 2,
                "bitmap directory entry 1 at 0x80020 runs past the directory's end (bitmap_directory_size 32)");
    }

    @Test
    void a_bitmap_directory_with_more_bytes_than_its_entries_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapDirectorySize = 40, "bitmap directory has 8 bytes after the last of the 1 bitmaps"
                + " the bitmaps extension counts (bitmap_directory_size 40)");
    }

    @Test
    void a_bitmap_entry_longer_than_the_directory_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapNameSize = 100,
                "bitmap directory entry 0 (128 bytes) runs past the directory's end (bitmap_directory_size 32)");
    }

    @Test
    void bitmap_extra_data_is_refused_as_unsupported() throws IOException {
        rejectsBitmap(f -> f.bitmapExtraDataSize = 4,
                "bitmap directory entry 0 has extra_data_size 4; bitmap extra data is not supported");
    }

    @Test
    void a_bitmap_without_a_name_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapNameSize = 0, "bitmap directory entry 0 has name_size 0 (1 to 1023)");
    }

    @Test
    void a_bitmap_type_other_than_dirty_tracking_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapType = 2, BITMAP + " has type 2 (only 1, dirty tracking, is defined)");
    }

    @Test
    void reserved_bitmap_flags_are_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapFlags |= 8, BITMAP + " has reserved flags set (flags 0xa)");
    }

    @Test
    void a_bitmap_granularity_below_512_bytes_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapGranularityBits = 8, BITMAP + " has granularity_bits 8 (9 to 31)");
    }

    @Test
    void a_bitmap_granularity_above_2_gib_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapGranularityBits = 32, BITMAP + " has granularity_bits 32 (9 to 31)");
    }

    @Test
    void an_empty_bitmap_table_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableSize = 0, BITMAP + " has bitmap_table_size 0");
    }

    @Test
    void a_bitmap_table_above_qemus_entry_limit_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableSize = 0x8000001, BITMAP + " has bitmap_table_size 134217729 (at most 134217728)");
    }

    @Test
    void a_bitmap_above_qemus_in_memory_limit_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableSize = 8193,
                BITMAP + " has bitmap_table_size 8193, 536936448 bytes of bitmap (at most 536870912)");
    }

    @Test
    void a_bitmap_table_at_offset_0_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableOffset = 0, BITMAP + " has bitmap_table_offset 0");
    }

    @Test
    void an_unaligned_bitmap_table_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableOffset = 0x90008, BITMAP + " bitmap_table_offset 0x90008 is not cluster aligned");
    }

    @Test
    void a_bitmap_table_past_the_end_of_the_file_is_refused() throws IOException {
        rejectsBitmap(f -> f.bitmapTableOffset = 0xa0000,
                "bitmap table (" + BITMAP + " bitmap_table_offset 0xa0000, 8 bytes) runs past end of file (0xa0000)");
    }

    @Test
    void a_bitmap_table_too_small_for_the_size_is_refused() throws IOException {
        rejectsBitmap(f -> f.size = 512L << 20,
                BITMAP + " has bitmap_table_size 1, too small for size 536870912 at granularity 512");
    }

    @Test
    void an_in_use_bitmap_may_have_a_table_too_small_for_the_size_as_in_qemu() throws IOException {
        HeaderFixture f = HeaderFixture.valid().withBitmap();
        f.size = 512L << 20;
        f.bitmapFlags |= Bitmap.FLAG_IN_USE;
        try (Qcow2Image img = (Qcow2Image) Images.open(f.write(file).toString())) {
            assertEquals(true, img.bitmaps().get(0).inUse());
        }
    }

    // ---- L1 and L2 entries, checked when a guest range is read or mapped ----

    @Test
    void an_unaligned_l2_table_is_refused() throws IOException {
        rejects(f -> f.l1Entry0 = L2Entry.OFLAG_COPIED | 0x40200,
                "l1 entry 0 points to l2 table at 0x40200, which is not cluster aligned");
    }

    @Test
    void an_l2_table_past_the_end_of_the_file_is_refused() throws IOException {
        rejects(f -> f.l1Entry0 = L2Entry.OFLAG_COPIED | 0x60000,
                "l2 table at 0x60000 (l1 entry 0) lies past end of file (0x60000)");
    }

    @Test
    void an_unaligned_data_cluster_is_refused() throws IOException {
        rejects(f -> f.l2Entry0 = L2Entry.OFLAG_COPIED | 0x50200,
                "l2 entry 0 of table at 0x40000 points to cluster 0x50200, which is not cluster aligned");
    }

    @Test
    void a_data_cluster_past_the_end_of_the_file_reads_as_zeros_as_in_qemu() throws IOException {
        // qemu reads the missing bytes of a cut-off file as zeros; we do the same without reading outside it.
        HeaderFixture f = HeaderFixture.valid();
        f.l2Entry0 = L2Entry.OFLAG_COPIED | 0x60000;
        f.write(file);
        ByteBuffer got = ByteBuffer.allocate(65536);
        try (Image img = Images.open(file.toString())) {
            img.read(0, got);
        }
        assertTrue(Zeros.isZero(got.flip()), "the missing cluster reads as zeros");
        Qemu.img(dir, "convert", "-O", "raw", file.getFileName().toString(), "theirs.raw");
        byte[] theirs = java.nio.file.Files.readAllBytes(dir.resolve("theirs.raw"));
        assertTrue(Zeros.isZero(ByteBuffer.wrap(theirs, 0, 65536)), "qemu reads zeros there too");
    }

    @Test
    void a_compressed_cluster_past_the_end_of_the_file_is_refused() throws IOException {
        rejects(f -> f.l2Entry0 = L2Entry.OFLAG_COMPRESSED | 0x60000,
                "compressed cluster for guest offset 0x0 at 0x60000 lies past end of file (0x60000)");
    }

    @Test
    void subclusters_marked_both_allocated_and_zero_are_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withExtendedL2(), f -> f.l2Bitmap0 = 0x100000001L,
                "l2 entry 0 of table at 0x40000 has subclusters marked both allocated and zero (bitmap 0x100000001)");
    }

    @Test
    void allocated_subclusters_without_a_cluster_are_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withExtendedL2(), f -> f.l2Entry0 = 0,
                "l2 entry 0 of table at 0x40000 has allocated subclusters but no cluster (bitmap 0xffffffff)");
    }
}
