package dev.virtchain.qcow2.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clean images of many kinds, made by qemu-img and qemu-io at test time: our check's numbers,
 * problem lines (none) and exit code equal qemu-img check's.
 */
class Qcow2CheckCleanImagesTest {
    @TempDir
    Path dir;

    /** name, qemu-img create options, cluster size (to size the writes), extra steps. */
    static Stream<Arguments> images() {
        return Stream.of(
                Arguments.of("v3 with 64 KiB clusters", "compat=1.1", 65536, ""),
                Arguments.of("v2 (compat 0.10)", "compat=0.10", 65536, ""),
                Arguments.of("512 B clusters", "cluster_size=512", 512, ""),
                Arguments.of("2 MiB clusters", "cluster_size=2M", 2 << 20, ""),
                Arguments.of("1-bit refcounts", "refcount_bits=1", 65536, ""),
                Arguments.of("8-bit refcounts", "refcount_bits=8", 65536, "snapshot"),
                Arguments.of("16-bit refcounts with 512 B clusters", "refcount_bits=16,cluster_size=512", 512, ""),
                Arguments.of("64-bit refcounts", "refcount_bits=64", 65536, "snapshot"),
                Arguments.of("extended L2", "extended_l2=on", 65536, ""),
                Arguments.of("extended L2 with 2 MiB clusters", "extended_l2=on,cluster_size=2M", 2 << 20, ""),
                Arguments.of("zstd compression", "compression_type=zstd", 65536, ""),
                Arguments.of("internal snapshots", "compat=1.1", 65536, "snapshot"),
                Arguments.of("v2 with internal snapshots", "compat=0.10", 65536, "snapshot"),
                Arguments.of("persistent bitmaps", "compat=1.1", 65536, "bitmap"),
                Arguments.of("lazy refcounts", "lazy_refcounts=on", 65536, ""),
                // qemu cannot compress into a preallocated cluster; "discard" leaves a zero-allocated one instead.
                Arguments.of("metadata preallocation", "preallocation=metadata", 65536, "prealloc"),
                Arguments.of("an overlay of a backing file", "compat=1.1", 65536, "backing"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void a_clean_image_gets_qemu_img_checks_verdict(String name, String options, int clusterSize, String extra)
            throws Exception {
        String disk = "disk.qcow2";
        long size = 64L * clusterSize; // several L2 tables' worth with 512 B clusters, one with larger
        List<String> create = new ArrayList<>(List.of("create", "-f", "qcow2", "-o", options));
        if (extra.equals("backing")) {
            Qemu.img(dir, "create", "-f", "qcow2", "base.qcow2", Long.toString(size));
            Qemu.io(dir, "-c", "write -P 7 0 " + 4 * clusterSize, "base.qcow2");
            create.addAll(List.of("-b", "base.qcow2", "-F", "qcow2"));
        }
        create.addAll(List.of(disk, Long.toString(size)));
        Qemu.img(dir, create.toArray(String[]::new));
        if (extra.equals("bitmap")) {
            Qemu.img(dir, "bitmap", "--add", disk, "b0");
        }
        long cs = clusterSize;
        // Data, a hole, zeroed clusters, a compressed cluster, and out-of-order allocation (fragments).
        Qemu.io(dir, "-c", "write -P 1 0 " + 3 * cs,
                "-c", "write -P 2 " + 10 * cs + " " + 2 * cs,
                "-c", "write -P 3 " + 5 * cs + " " + cs,
                "-c", "write -z " + 20 * cs + " " + 2 * cs,
                "-c", extra.equals("prealloc") ? "discard " + 30 * cs + " " + cs : "write -c -P 4 " + 30 * cs + " " + cs,
                disk);
        if (extra.equals("snapshot")) {
            Qemu.img(dir, "snapshot", "-c", "s1", disk);
            Qemu.io(dir, "-c", "write -P 5 0 " + cs, "-c", "discard " + 10 * cs + " " + cs, disk);
            Qemu.img(dir, "snapshot", "-c", "s2", disk);
            Qemu.io(dir, "-c", "write -P 6 " + cs + " " + cs, disk);
        }
        Path image = dir.resolve(disk);
        CheckOracle qemu = CheckOracle.qemu(image);
        assertEquals(0, qemu.exitCode(), "qemu-img check finds " + name + " clean: " + qemu);
        assertEquals(qemu, CheckOracle.ours(image));
    }
}
