package dev.virtchain.qcow2.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.format.ImagePoker;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images broken by poking bytes, one breakage each: our verdict (counts, problem lines, exit
 * code) equals qemu-img check's, and qemu-img's verdict is the one the breakage should cause.
 */
class Qcow2CheckBrokenImagesTest {
    private static final long COPIED = 1L << 63;
    private static final long COMPRESSED = 1L << 62;
    private static final int CLEAN = 0;
    private static final int FAILED = 1;
    private static final int CORRUPT = 2;
    private static final int LEAKY = 3;

    @TempDir
    Path dir;

    @FunctionalInterface
    interface Breakage {
        void apply(ImagePoker p) throws IOException;
    }

    /**
     * An image of {@code size}: guest clusters 0-3 hold data, guest cluster 16 is compressed; then
     * the breakage. Returns qemu-img's verdict after checking ours equals it.
     */
    private CheckOracle checkBroken(String options, String size, Breakage breakage) throws IOException {
        Qemu.img(dir, "create", "-f", "qcow2", "-o", options, "disk.qcow2", size);
        Qemu.io(dir, "-c", "write -P 1 0 256k", "-c", "write -c -P 2 1M 64k", "disk.qcow2");
        Path image = dir.resolve("disk.qcow2");
        try (ImagePoker p = new ImagePoker(image)) {
            breakage.apply(p);
        }
        CheckOracle qemu = CheckOracle.qemu(image);
        assertEquals(qemu, CheckOracle.ours(image));
        return qemu;
    }

    private CheckOracle checkBroken(String options, Breakage breakage) throws IOException {
        return checkBroken(options, "10M", breakage);
    }

    private CheckOracle checkBroken(Breakage breakage) throws IOException {
        return checkBroken("compat=1.1", breakage);
    }

    private static long dataCluster(ImagePoker p, int guestCluster) throws IOException {
        return (p.l2Entry(0, guestCluster) & L2Entry.L2E_OFFSET_MASK) >>> p.clusterBits;
    }

    @Test
    void an_untouched_image_is_clean() throws IOException {
        CheckOracle v = checkBroken(p -> { });
        assertEquals(CLEAN, v.exitCode());
    }

    @Test
    void a_raised_refcount_is_a_leak_and_breaks_the_copied_flag() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcount(dataCluster(p, 1), 2));
        assertEquals(1, v.count("leaks"));
        assertEquals(1, v.count("corruptions")); // COPIED is set but the refcount is no longer 1
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_refcount_for_an_unreferenced_cluster_is_a_leak_only() throws IOException {
        CheckOracle v = checkBroken(p -> {
            // Claim one more cluster at the end of the file, as an interrupted allocation leaves it.
            long last = (p.size() + p.clusterSize - 1) / p.clusterSize; // the compressed data ends mid-cluster
            p.writeLong(last * p.clusterSize + p.clusterSize - 8, 0); // grow the file by a cluster
            p.setRefcount(last, 1);
        });
        assertEquals(1, v.count("leaks"));
        assertEquals(0, v.count("corruptions"));
        assertEquals(LEAKY, v.exitCode());
    }

    @Test
    void a_leak_in_a_one_bit_refcount_image_is_found() throws IOException {
        CheckOracle v = checkBroken("refcount_bits=1", p -> {
            long last = (p.size() + p.clusterSize - 1) / p.clusterSize;
            p.writeLong(last * p.clusterSize + p.clusterSize - 8, 0);
            p.setRefcount(last, 1);
        });
        assertEquals(LEAKY, v.exitCode());
    }

    @Test
    void a_refcount_past_the_end_of_file_is_not_looked_at() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcount(p.size() / p.clusterSize + 3, 1));
        assertEquals(CLEAN, v.exitCode());
    }

    @Test
    void a_lowered_refcount_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcount(dataCluster(p, 2), 0));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(0, v.count("leaks"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_lowered_refcount_of_the_l1_table_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcount(p.l1Offset / p.clusterSize, 0));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_l2_entry_pointing_past_the_end_of_file_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 1, COPIED | (p.size() + 16 * p.clusterSize)));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_misaligned_l2_entry_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 1, p.l2Entry(0, 1) + 0x200));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_misaligned_zero_cluster_is_reported_as_preallocated() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 1, p.l2Entry(0, 1) + 0x200 | L2Entry.OFLAG_ZERO));
        assertTrue(v.problems().stream().anyMatch(l -> l.contains("Preallocated cluster is not properly aligned")));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_misaligned_l1_entry_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL1Entry(0, p.l1Entry(0) + 0x200));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_l1_entry_pointing_past_the_end_of_file_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL1Entry(0, COPIED | (1L << 50)));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_l1_entry_with_reserved_bits_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL1Entry(0, p.l1Entry(0) | (1L << 57)));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_l2_entry_with_reserved_bits_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 1, p.l2Entry(0, 1) | 0x2));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void two_l2_entries_sharing_a_cluster_are_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 1, p.l2Entry(0, 0)));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(1, v.count("leaks")); // the cluster entry 1 pointed to is referenced no more
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_l2_table_referenced_twice_is_a_corruption() throws IOException {
        // 1 GiB: two L1 entries with 64 KiB clusters
        CheckOracle v = checkBroken("compat=1.1", "1G", p -> p.setL1Entry(1, p.l1Entry(0)));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_cleared_copied_flag_on_a_data_cluster_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL2Entry(0, 2, p.l2Entry(0, 2) & ~COPIED));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_cleared_copied_flag_on_an_l1_entry_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setL1Entry(0, p.l1Entry(0) & ~COPIED));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_copied_flag_on_a_compressed_cluster_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> {
            long entry = p.l2Entry(0, 16);
            assertTrue((entry & COMPRESSED) != 0, "guest cluster 16 is compressed");
            p.setL2Entry(0, 16, entry | COPIED);
        });
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_refcount_block_outside_the_image_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcountTableEntry(0, p.size() + 64 * p.clusterSize));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_second_refcount_block_outside_the_image_is_one_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcountTableEntry(5, 1L << 40));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_refcount_table_entry_with_reserved_bits_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcountTableEntry(0, p.refcountTableEntry(0) | 1));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_misaligned_refcount_block_makes_the_check_fail() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcountTableEntry(0, p.refcountTableEntry(0) + 0x200));
        assertTrue(v.count("check-errors") >= 1);
        assertEquals(FAILED, v.exitCode());
    }

    @Test
    void a_refcount_block_shared_with_an_l2_table_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken(p -> p.setRefcountTableEntry(1, p.l1Entry(0) & L2Entry.L1E_OFFSET_MASK));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_extended_l2_entry_both_allocated_and_zero_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken("extended_l2=on", p -> p.setL2Bitmap(0, 1, 0x0000000100000001L));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void an_unallocated_extended_l2_entry_with_allocated_subclusters_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken("extended_l2=on", p -> p.setL2Bitmap(0, 40, 0x3L));
        assertEquals(1, v.count("corruptions"));
        assertEquals(CORRUPT, v.exitCode());
    }

    @Test
    void a_compressed_extended_l2_entry_with_a_bitmap_is_a_corruption() throws IOException {
        CheckOracle v = checkBroken("extended_l2=on", p -> p.setL2Bitmap(0, 16, 0x1L));
        assertTrue(v.count("corruptions") >= 1);
        assertEquals(CORRUPT, v.exitCode());
    }
}
