package dev.virtchain.qcow2.read;

import static dev.virtchain.qcow2.read.Rejections.rejects;
import static dev.virtchain.qcow2.read.Rejections.rejectsTruncated;

import dev.virtchain.qcow2.format.HeaderFixture;
import dev.virtchain.qcow2.format.Qcow2Header;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One test per header rule: each changes one field of the valid {@link HeaderFixture} and
 * expects the one-line message naming the file, the field and the bad value.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileHeaderTest {
    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void name() {
        file = dir.resolve("fixture.qcow2");
    }

    private void rejects(Consumer<HeaderFixture> change, String problem) throws IOException {
        Rejections.rejects(file, HeaderFixture.valid(), change, problem);
    }

    @Test
    void a_file_shorter_than_a_version_2_header_is_refused() throws IOException {
        rejectsTruncated(file, HeaderFixture.valid(), 40, "file is 40 bytes, too small for a qcow2 header (72)");
    }

    @Test
    void a_file_shorter_than_a_version_3_header_is_refused() throws IOException {
        rejectsTruncated(file, HeaderFixture.valid(), 100,
                "file is 100 bytes, too small for a qcow2 version 3 header (104)");
    }

    @Test
    void a_wrong_magic_is_refused_when_the_format_is_given_as_qcow2() throws IOException {
        HeaderFixture f = HeaderFixture.valid();
        f.magic = 0x514649fc;
        f.write(file);
        Rejections.rejects(file, "qcow2", "magic 0x514649fc is not qcow2's (0x514649fb)");
    }

    @Test
    void qcow_version_1_is_refused_by_name() throws IOException {
        rejects(f -> f.version = 1, "qcow version 1 images are not supported (only qcow2)");
    }

    @Test
    void qcow_version_1_is_refused_by_name_also_when_the_format_is_given() throws IOException {
        HeaderFixture f = HeaderFixture.valid();
        f.version = 1;
        f.write(file);
        Rejections.rejects(file, "qcow2", "qcow version 1 images are not supported (only qcow2)");
    }

    @Test
    void a_version_above_3_is_refused() throws IOException {
        rejects(f -> f.version = 4, "qcow2 version 4 is not supported (only 2 and 3)");
    }

    @Test
    void cluster_bits_below_9_are_refused() throws IOException {
        rejects(f -> f.clusterBits = 8, "cluster_bits 8 is out of range (9 to 21)");
    }

    @Test
    void cluster_bits_above_21_are_refused() throws IOException {
        rejects(f -> f.clusterBits = 22, "cluster_bits 22 is out of range (9 to 21)");
    }

    @Test
    void a_negative_cluster_bits_is_refused_as_unsigned() throws IOException {
        rejects(f -> f.clusterBits = -1, "cluster_bits 4294967295 is out of range (9 to 21)");
    }

    @Test
    void a_header_length_shorter_than_the_version_3_header_is_refused() throws IOException {
        rejects(f -> f.headerLength = 96, "header_length 96 is shorter than the version 3 header (104)");
    }

    @Test
    void a_header_length_longer_than_a_cluster_is_refused() throws IOException {
        rejects(f -> f.headerLength = 65544, "header_length 65544 exceeds the cluster size (65536)");
    }

    @Test
    void a_header_length_past_the_end_of_a_cut_file_is_refused() throws IOException {
        rejectsTruncated(file, HeaderFixture.valid(), 104, "header_length 112 runs past end of file (104)");
    }

    @Test
    void a_refcount_order_above_6_is_refused() throws IOException {
        rejects(f -> f.refcountOrder = 7, "refcount_order 7 is out of range (0 to 6)");
    }

    @Test
    void an_aes_encrypted_image_is_refused_naming_the_encryption() throws IOException {
        rejects(f -> f.cryptMethod = 1,
                "image is encrypted (crypt_method 1, AES); virtchain does not read encrypted images");
    }

    @Test
    void a_luks_encrypted_image_is_refused_naming_the_encryption() throws IOException {
        rejects(f -> f.cryptMethod = 2,
                "image is encrypted (crypt_method 2, LUKS); virtchain does not read encrypted images");
    }

    @Test
    void an_unknown_compression_type_is_refused() throws IOException {
        rejects(f -> f.compressionType = 2, "compression_type 2 is unknown (0 zlib, 1 zstd)");
    }

    @Test
    void zstd_compression_without_the_compression_type_bit_is_refused() throws IOException {
        rejects(f -> f.compressionType = 1,
                "compression_type 1 is not zlib but the compression type incompatible bit (3) is clear");
    }

    @Test
    void the_compression_type_bit_with_zlib_is_refused() throws IOException {
        rejects(f -> f.incompatibleFeatures |= Qcow2Header.INCOMPAT_COMPRESSION,
                "compression_type 0 is zlib but the compression type incompatible bit (3) is set");
    }

    @Test
    void a_backing_file_offset_outside_the_first_cluster_is_refused() throws IOException {
        rejects(f -> f.backingFileOffset = 0x10008,
                "backing_file_offset 0x10008 is outside the first cluster (65536 bytes)");
    }

    @Test
    void a_backing_file_name_longer_than_1023_bytes_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBacking("base.qcow2", "qcow2"),
                f -> f.backingFileSize = 1024, "backing_file_size 1024 is too long (at most 1023 bytes here)");
    }

    @Test
    void a_backing_file_name_past_the_end_of_a_cut_file_is_refused() throws IOException {
        HeaderFixture f = HeaderFixture.valid().withBacking("base.qcow2", "qcow2");
        f.backingFileSize = 1000;
        rejectsTruncated(file, f, 256, "backing file name at 0x88 runs past end of file (256)");
    }

    @Test
    void a_header_extension_longer_than_the_header_area_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBacking("base.qcow2", "qcow2"),
                f -> f.firstExtensionLength = 0x100000, "header extension 0xe2792aca at 0x70 has length 1048576,"
                        + " past the end of the header area (0x88)");
    }

    @Test
    void a_backing_format_of_16_bytes_or_more_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBacking("base.qcow2", "qcow2"),
                f -> f.firstExtensionLength = 16, "backing format extension has length 16 (at most 15)");
    }

    @Test
    void a_bitmaps_extension_of_the_wrong_length_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.firstExtensionLength = 16,
                "bitmaps extension has length 16 (must be 24)");
    }

    @Test
    void a_bitmaps_extension_with_a_reserved_field_set_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapsReserved = 1,
                "bitmaps extension has reserved field 0x1 (must be 0)");
    }

    @Test
    void a_bitmaps_extension_with_zero_bitmaps_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapsCount = 0,
                "bitmaps extension counts 0 bitmaps (a present extension needs at least 1)");
    }

    @Test
    void more_than_65535_bitmaps_are_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapsCount = 65536,
                "bitmaps extension counts 65536 bitmaps (at most 65535)");
    }

    @Test
    void a_bitmap_directory_larger_than_qemus_limit_is_refused_before_it_is_read() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapDirectorySize = 67107841,
                "bitmap_directory_size 67107841 is too large (at most 67107840)");
    }

    @Test
    void a_negative_bitmap_directory_size_is_refused_as_unsigned() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapDirectorySize = -1,
                "bitmap_directory_size 18446744073709551615 is too large (at most 67107840)");
    }

    @Test
    void an_unaligned_bitmap_directory_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapDirectoryOffset = 0x80008,
                "bitmap_directory_offset 0x80008 is not cluster aligned");
    }

    @Test
    void a_bitmap_directory_past_the_end_of_the_file_is_refused_before_it_is_read() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withBitmap(), f -> f.bitmapDirectoryOffset = 0xa0000,
                "bitmap directory (bitmap_directory_offset 0xa0000, 32 bytes) runs past end of file (0xa0000)");
    }

    @Test
    void bitmaps_without_the_autoclear_bit_are_ignored_as_qemu_does() throws IOException {
        HeaderFixture f = HeaderFixture.valid().withBitmap();
        f.autoclearFeatures = 0;
        f.bitmapsCount = 0; // would be refused if the extension counted
        try (Qcow2Image img = (Qcow2Image) Images.open(f.write(file).toString())) {
            org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), img.bitmaps());
        }
    }

    @Test
    void an_unknown_incompatible_feature_is_refused_by_its_name_in_the_feature_table() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withFeatureName(0, 5, "future feature"),
                f -> f.incompatibleFeatures |= 1L << 5, "unsupported incompatible feature(s): bit 5 'future feature'");
    }

    @Test
    void an_unknown_incompatible_feature_without_a_name_is_refused_by_its_bit() throws IOException {
        rejects(f -> f.incompatibleFeatures |= 1L << 63, "unsupported incompatible feature(s): bit 63");
    }

    @Test
    void the_external_data_file_bit_without_a_data_file_name_is_refused() throws IOException {
        rejects(f -> f.incompatibleFeatures |= Qcow2Header.INCOMPAT_DATA_FILE,
                "incompatible feature 'external data file' is set but the image names no data file");
    }

    @Test
    void a_data_file_name_without_the_external_data_file_bit_is_refused() throws IOException {
        rejects(f -> f.dataFile = "data.raw",
                "image names data file 'data.raw' but the external data file feature bit (2) is clear");
    }

    @Test
    void extended_l2_entries_with_clusters_under_16_kib_are_refused() throws IOException {
        Rejections.rejects(file, new HeaderFixture(13), f -> f.incompatibleFeatures |= Qcow2Header.INCOMPAT_EXTL2,
                "extended L2 entries need clusters of at least 16 KiB, cluster_bits is 13");
    }

    @Test
    void a_size_above_2_to_the_63_is_refused() throws IOException {
        rejects(f -> f.size = Long.MIN_VALUE, "size 9223372036854775808 is too large");
    }

    @Test
    void an_l1_size_above_qemus_limit_is_refused_before_the_table_is_allocated() throws IOException {
        rejects(f -> f.l1Size = 4194305, "l1_size 4194305 is too large (at most 4194304 entries)");
    }

    @Test
    void an_l1_table_too_small_for_the_size_is_refused() throws IOException {
        rejects(f -> f.size = 1L << 40, "l1_size 1 is too small for size 1099511627776 (needs 2048)");
    }

    @Test
    void a_size_near_2_to_the_63_does_not_overflow_the_l1_arithmetic() throws IOException {
        rejects(f -> f.size = Long.MAX_VALUE, "l1_size 1 is too small for size 9223372036854775807 (needs 17179869184)");
    }

    @Test
    void an_unaligned_l1_table_is_refused() throws IOException {
        rejects(f -> f.l1TableOffset = 0x30200, "l1_table_offset 0x30200 is not cluster aligned");
    }

    @Test
    void an_l1_table_past_the_end_of_the_file_is_refused() throws IOException {
        rejects(f -> f.l1TableOffset = 0x60000,
                "l1 table (l1_table_offset 0x60000, 8 bytes) runs past end of file (0x60000)");
    }

    @Test
    void an_l1_table_whose_end_overflows_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid(), f -> {
            f.l1Size = 4194304; // the largest allowed, so the end overflows past Long.MAX_VALUE
            f.l1TableOffset = 0x7fffffffffff0000L;
        }, "l1 table (l1_table_offset 0x7fffffffffff0000, 33554432 bytes) runs past end of file (0x60000)");
    }

    @Test
    void a_negative_l1_table_offset_is_refused() throws IOException {
        rejects(f -> f.l1TableOffset = 0xffffffffffff0000L,
                "l1 table (l1_table_offset 0xffffffffffff0000, 8 bytes) runs past end of file (0x60000)");
    }

    @Test
    void an_image_without_a_refcount_table_is_refused() throws IOException {
        rejects(f -> f.refcountTableClusters = 0, "refcount_table_clusters is 0: the image has no refcount table");
    }

    @Test
    void a_refcount_table_above_qemus_limit_is_refused() throws IOException {
        rejects(f -> f.refcountTableClusters = 129, "refcount_table_clusters 129 is too large (at most 128)");
    }

    @Test
    void an_unaligned_refcount_table_is_refused() throws IOException {
        rejects(f -> f.refcountTableOffset = 0x10001, "refcount_table_offset 0x10001 is not cluster aligned");
    }

    @Test
    void a_refcount_table_past_the_end_of_the_file_is_refused() throws IOException {
        rejects(f -> f.refcountTableOffset = 0x60000,
                "refcount table (refcount_table_offset 0x60000, 65536 bytes) runs past end of file (0x60000)");
    }

    @Test
    void more_than_65536_snapshots_are_refused() throws IOException {
        rejects(f -> f.nbSnapshots = 65537, "nb_snapshots 65537 is too large (at most 65536)");
    }

    @Test
    void an_unaligned_snapshot_table_is_refused() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withSnapshot(), f -> f.snapshotsOffset = 0x60008,
                "snapshots_offset 0x60008 is not cluster aligned");
    }

    @Test
    void a_snapshot_count_whose_table_cannot_fit_in_the_file_is_refused_before_reading() throws IOException {
        Rejections.rejects(file, HeaderFixture.valid().withSnapshot(), f -> f.nbSnapshots = 65536,
                "snapshot table (snapshots_offset 0x60000, 2621440 bytes) runs past end of file (0x80000)");
    }
}
