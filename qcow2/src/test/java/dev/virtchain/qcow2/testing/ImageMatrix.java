package dev.virtchain.qcow2.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The images the parity matrix compares against qemu 7.2: every qcow2 feature and chain shape
 * virtchain reads, built at test time with qemu-img and qemu-io (no checked-in binaries).
 * Each fixture is built into its own directory; its top image is what info and map are run on.
 * Images are small (a few MiB) so the whole matrix runs in well under a minute per tool.
 */
public final class ImageMatrix {
    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    /** Virtual size of most fixtures: several L2 ranges of 512-byte clusters, a few 64 KiB ones. */
    static final long SIZE = 4 * MIB;

    private ImageMatrix() {
    }

    /** How one fixture is made, given a builder working in the fixture's directory. */
    @FunctionalInterface
    public interface Recipe {
        void build(FixtureBuilder b) throws IOException;
    }

    /**
     * One named image (or chain); {@code top} is the file, relative to the fixture's directory,
     * that the tools are pointed at; {@code human} marks the handful of fixtures that get the slower
     * checks too (human info of the whole chain, the CLI run from the image's own directory).
     */
    public record Fixture(String name, String top, boolean human, Recipe recipe) {
        /** Builds the fixture in {@code root/name} and returns the top image's path (relative if root is). */
        public Path build(Path root) throws IOException {
            Path dir = root.resolve(name);
            Files.createDirectories(dir);
            recipe.build(new FixtureBuilder(dir));
            return dir.resolve(top);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** qemu-io commands writing a recognisable pattern over a {@code size} image with {@code cluster}-byte clusters. */
    static String[] pattern(long size, long cluster) {
        return new String[] {
            "write -P 0x11 0 " + cluster,                                   // first cluster, whole
            "write -P 0x22 " + (cluster + 512) + " 1536",                   // part of the second
            "write -P 0x33 " + (size / 2 - 3 * KIB) + " " + (70 * KIB),     // across cluster boundaries
            "write -P 0x44 " + (size - 4 * KIB) + " " + (4 * KIB),          // the last bytes
            "write -P 0x55 " + (size / 4) + " " + (2 * cluster),
            "write -z " + (size / 4 + cluster) + " " + cluster,             // zero over allocated
            "write -z " + (3 * size / 4) + " " + (2 * cluster),             // zero over unallocated
            "write -P 0x66 " + (size / 8) + " " + (3 * cluster),
            "discard " + (size / 8 + cluster) + " " + cluster,             // a hole in the middle
        };
    }

    /** The matrix. */
    public static List<Fixture> all() {
        List<Fixture> f = new ArrayList<>();
        // Plain images: both versions, every cluster size qemu allows at the ends and in between.
        for (String compat : List.of("0.10", "1.1")) {
            String v = compat.equals("0.10") ? "v2" : "v3";
            for (long cs : List.of(512L, 4 * KIB, 64 * KIB, 2 * MIB)) {
                long size = cs == 2 * MIB ? 16 * MIB : SIZE;
                f.add(new Fixture(v + "-cluster-" + cs, "img.qcow2", false, b -> b
                        .qcow2("img.qcow2", size, "compat=" + compat + ",cluster_size=" + cs)
                        .io("qcow2", "img.qcow2", pattern(size, cs))));
            }
            f.add(new Fixture(v + "-empty", "img.qcow2", false, b -> b.qcow2("img.qcow2", SIZE, "compat=" + compat)));
        }
        for (int bits : List.of(1, 2, 4, 8, 16, 32, 64)) {
            f.add(new Fixture("refcount-bits-" + bits, "img.qcow2", false, b -> b
                    .qcow2("img.qcow2", SIZE, "refcount_bits=" + bits + ",cluster_size=4k")
                    .io("qcow2", "img.qcow2", pattern(SIZE, 4 * KIB))));
        }
        f.add(new Fixture("v2-refcount-bits-16-lazy-off", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "compat=0.10,refcount_bits=16")));

        // Extended L2: 4 KiB writes inside 64 KiB clusters leave partly allocated clusters.
        for (long cs : List.of(64 * KIB, 2 * MIB)) {
            long size = cs == 2 * MIB ? 16 * MIB : SIZE;
            long sc = cs / 32;
            f.add(new Fixture("extended-l2-cluster-" + cs, "img.qcow2", false, b -> b
                    .qcow2("img.qcow2", size, "extended_l2=on,cluster_size=" + cs)
                    .io("qcow2", "img.qcow2",
                            "write -P 0x11 " + sc + " " + sc,
                            "write -P 0x12 " + (3 * sc + 100) + " " + (2 * sc),
                            "write -z " + (10 * sc) + " " + (3 * sc),
                            "write -P 0x13 " + (cs + 5 * sc) + " " + sc,
                            "write -z " + (cs + 5 * sc) + " " + (sc / 2),
                            "write -P 0x14 " + (2 * cs) + " " + cs,
                            "write -z " + (2 * cs + 4 * sc) + " " + sc,
                            "discard " + (2 * cs + 8 * sc) + " " + (2 * sc))
                    .io("qcow2", "img.qcow2", pattern(size, cs))));
        }
        f.add(new Fixture("extended-l2-over-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", SIZE, "extended_l2=on")
                .io("qcow2", "top.qcow2", "write -P 0x21 4k 4k", "write -z 12k 8k", "write -P 0x22 200k 6k",
                        "discard 256k 64k", "write -z 1m 64k", "write -P 0x23 2m 2k")));

        // Zero clusters and discards.
        f.add(new Fixture("zero-plain", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -z 0 1m", "write -P 0x11 1m 64k", "write -z 1m 32k")));
        f.add(new Fixture("zero-preallocated", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 2m", "write -z 64k 512k", "write -z 1m 64k",
                        "write -z -u 1536k 128k")));
        f.add(new Fixture("zero-over-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", SIZE, "")
                .io("qcow2", "top.qcow2", "write -z 0 256k", "write -P 0x22 256k 64k", "write -z 256k 64k",
                        "discard 1m 128k")));
        f.add(new Fixture("v2-zero-over-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "compat=0.10")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", SIZE, "compat=0.10")
                .io("qcow2", "top.qcow2", "write -z 0 256k", "write -P 0x22 256k 64k", "discard 1m 128k")));
        f.add(new Fixture("discarded", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 " + SIZE, "discard 0 1m", "discard 2m 64k",
                        "discard 3m 4k")));

        // Compressed clusters.
        for (String type : List.of("zlib", "zstd")) {
            f.add(new Fixture("convert-compressed-" + type, "img.qcow2", false, b -> b
                    .qcow2("src.qcow2", SIZE, "")
                    .io("qcow2", "src.qcow2", pattern(SIZE, 64 * KIB))
                    .io("qcow2", "src.qcow2", "write -P 0x77 2m 256k")
                    .img("convert", "-c", "-O", "qcow2", "-o", "compression_type=" + type, "src.qcow2", "img.qcow2")));
            f.add(new Fixture("write-compressed-" + type, "img.qcow2", false, b -> b
                    .qcow2("img.qcow2", SIZE, "compression_type=" + type)
                    .io("qcow2", "img.qcow2", "write -c -P 0x31 0 64k", "write -c -P 0x32 128k 128k",
                            "write -P 0x33 1m 64k", "write -c -P 0x34 3m 64k", "write -P 0x35 3m 4k",
                            "write -c -P 0x36 2m 64k", "write -z 2m 64k")));
        }
        f.add(new Fixture("compressed-4k-clusters", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "cluster_size=4k")
                .io("qcow2", "img.qcow2", "write -c -P 0x31 0 4k", "write -c -P 0x32 8k 64k")));
        f.add(new Fixture("compressed-2m-clusters", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", 8 * MIB, "cluster_size=2M")
                .io("qcow2", "img.qcow2", "write -c -P 0x31 0 2m", "write -c -P 0x32 4m 2m")));
        f.add(new Fixture("compressed-over-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", SIZE, "compression_type=zstd")
                .io("qcow2", "top.qcow2", "write -c -P 0x41 64k 64k", "write -c -P 0x42 1m 128k")));

        // Internal snapshots: the active layer differs from each snapshot.
        f.add(new Fixture("snapshots", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 1m")
                .img("snapshot", "-c", "first", "img.qcow2")
                .io("qcow2", "img.qcow2", "write -P 0x22 512k 1m", "discard 0 64k")
                .img("snapshot", "-c", "second-with-a-long-name", "img.qcow2")
                .io("qcow2", "img.qcow2", "write -P 0x33 3m 64k", "write -z 512k 64k")));
        f.add(new Fixture("v2-snapshots", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "compat=0.10")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 1m")
                .img("snapshot", "-c", "s1", "img.qcow2")
                .io("qcow2", "img.qcow2", "write -P 0x22 512k 1m")));

        // Persistent bitmaps.
        f.add(new Fixture("bitmaps", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 1m")
                .img("bitmap", "--add", "img.qcow2", "b-enabled")
                .img("bitmap", "--add", "-g", "128k", "img.qcow2", "b-128k")
                .img("bitmap", "--add", "--disable", "img.qcow2", "b-disabled")));

        // External data files. qemu 7.2 opens a relative data file name against its working directory,
        // not the image's, so the fixtures record absolute names that both tools find.
        f.add(new Fixture("data-file", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "data_file=" + b.dir().toAbsolutePath().resolve("img.data"))
                .io("qcow2", "img.qcow2", pattern(SIZE, 64 * KIB))));
        f.add(new Fixture("data-file-raw", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "data_file=" + b.dir().toAbsolutePath().resolve("img.raw") + ",data_file_raw=on")
                .io("qcow2", "img.qcow2", pattern(SIZE, 64 * KIB))));

        // Preallocation.
        for (String mode : List.of("metadata", "falloc", "full")) {
            f.add(new Fixture("preallocation-" + mode, "img.qcow2", false, b -> b
                    .qcow2("img.qcow2", SIZE, "preallocation=" + mode)
                    .io("qcow2", "img.qcow2", "write -P 0x11 64k 64k", "write -P 0x12 1m 4k", "write -z 2m 64k")));
        }
        f.add(new Fixture("v2-preallocation-metadata", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "compat=0.10,preallocation=metadata")
                .io("qcow2", "img.qcow2", "write -P 0x11 64k 64k")));
        f.add(new Fixture("preallocation-metadata-4k", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "preallocation=metadata,cluster_size=4k")
                .io("qcow2", "img.qcow2", "write -P 0x11 8k 4k")));
        f.add(new Fixture("preallocation-metadata-extended-l2", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "preallocation=metadata,extended_l2=on")
                .io("qcow2", "img.qcow2", "write -P 0x11 64k 4k")));

        // Header bits.
        f.add(new Fixture("dirty", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "lazy_refcounts=on")
                .ioKilled("img.qcow2", "write -P 0x11 0 64k", "write -P 0x12 1m 128k")));
        f.add(new Fixture("corrupt", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 64k")
                .setIncompatible("img.qcow2", 2)));
        f.add(new Fixture("virtual-size-not-sector-aligned", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 " + SIZE)
                .pokeLong("img.qcow2", 24, SIZE - 1000)));
        f.add(new Fixture("virtual-size-odd", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", 1_000_001, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 900000 100448")));

        f.add(new Fixture("bitmap-in-use", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "lazy_refcounts=on")
                .img("bitmap", "--add", "img.qcow2", "b0")
                .img("bitmap", "--add", "--disable", "img.qcow2", "b1")
                .ioKilled("img.qcow2", "write -P 0x11 0 64k")));
        f.add(new Fixture("corrupt-with-snapshot-and-bitmap", "img.qcow2", true, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 64k")
                .img("snapshot", "-c", "s", "img.qcow2")
                .img("bitmap", "--add", "img.qcow2", "b")
                .setIncompatible("img.qcow2", 2)));
        f.add(new Fixture("resized-larger", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "cluster_size=4k")
                .io("qcow2", "img.qcow2", "write -P 0x11 4032k 64k")
                .img("resize", "-q", "img.qcow2", Long.toString(3 * SIZE + 1536))
                .io("qcow2", "img.qcow2", "write -P 0x12 10m 4k")));
        f.add(new Fixture("resized-smaller", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 0 " + SIZE)
                .img("resize", "-q", "--shrink", "img.qcow2", Long.toString(SIZE / 2 + 512))));
        f.add(new Fixture("overlay-resized-past-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", 0, "")
                .img("resize", "-q", "top.qcow2", Long.toString(2 * SIZE))
                .io("qcow2", "top.qcow2", "write -P 0x21 5m 64k")));
        f.add(new Fixture("preallocation-metadata-backing", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "preallocation=metadata")
                .io("qcow2", "base.qcow2", "write -P 0xb1 1m 64k")
                .overlay("top.qcow2", "base.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 0 64k")));
        f.add(new Fixture("preallocation-metadata-data-file", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "preallocation=metadata,data_file="
                        + b.dir().toAbsolutePath().resolve("img.data"))
                .io("qcow2", "img.qcow2", "write -P 0x11 64k 64k")));
        f.add(new Fixture("preallocation-full-data-file-raw", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "preallocation=full,data_file_raw=on,data_file="
                        + b.dir().toAbsolutePath().resolve("img.raw"))
                .io("qcow2", "img.qcow2", "write -P 0x11 64k 64k", "write -z 1m 64k")));

        f.add(new Fixture("data-cluster-past-end-of-file", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "")
                .io("qcow2", "img.qcow2", "write -P 0x11 1m 64k")
                .truncate("img.qcow2", 5 * 64 * KIB + 32 * KIB + 1000)));
        f.add(new Fixture("data-file-raw-shorter-than-image", "img.qcow2", false, b -> b
                .qcow2("img.qcow2", SIZE, "data_file_raw=on,data_file=" + b.dir().toAbsolutePath().resolve("img.raw"))
                .io("qcow2", "img.qcow2", "write -P 0x11 0 " + SIZE)
                .truncate("img.raw", SIZE / 2 + 100)));

        // Raw images.
        f.add(new Fixture("raw-sparse", "img.raw", false, b -> b
                .raw("img.raw", SIZE)
                .io("raw", "img.raw", "write -P 0x11 0 64k", "write -P 0x12 1m 4k", "write -P 0x13 3m 1m")));
        f.add(new Fixture("raw-unaligned-size", "img.raw", false, b -> b
                .raw("img.raw", 1_000_001)
                .io("raw", "img.raw", "write -P 0x11 4096 4096")
                .poke("img.raw", 1_000_000, new byte[] {0x7f})));

        // Backing chains.
        f.add(new Fixture("chain-2-qcow2", "top.qcow2", true, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", pattern(SIZE, 64 * KIB))
                .overlay("top.qcow2", "base.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x91 32k 64k", "write -z 1m 64k", "discard 0 64k")));
        f.add(new Fixture("chain-3-raw-base", "top.qcow2", false, b -> b
                .raw("base.raw", SIZE)
                .io("raw", "base.raw", "write -P 0xb1 0 1m", "write -P 0xb2 3m 512k")
                .overlay("mid.qcow2", "base.raw", "raw", 0, "")
                .io("qcow2", "mid.qcow2", "write -P 0xc1 512k 1m")
                .overlay("top.qcow2", "mid.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0xd1 2m 64k", "write -z 3m 64k")));
        f.add(new Fixture("chain-5-mixed", "l4.qcow2", true, b -> b
                .raw("l0.raw", SIZE)
                .io("raw", "l0.raw", "write -P 0xa0 0 " + SIZE)
                .overlay("l1.qcow2", "l0.raw", "raw", 0, "compat=0.10,cluster_size=4k")
                .io("qcow2", "l1.qcow2", "write -P 0xa1 4k 8k", "write -z 1m 64k")
                .overlay("l2.qcow2", "l1.qcow2", "qcow2", 0, "extended_l2=on")
                .io("qcow2", "l2.qcow2", "write -P 0xa2 6k 4k", "write -z 2m 4k")
                .overlay("l3.qcow2", "l2.qcow2", "qcow2", 0, "compression_type=zstd")
                .io("qcow2", "l3.qcow2", "write -c -P 0xa3 128k 64k", "discard 3m 64k")
                .overlay("l4.qcow2", "l3.qcow2", "qcow2", 0, "cluster_size=2M")
                .io("qcow2", "l4.qcow2", "write -P 0xa4 3m 4k")));
        f.add(new Fixture("chain-overlay-larger", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", 2 * MIB, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 2m")
                .overlay("top.qcow2", "base.qcow2", "qcow2", SIZE, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 1m 64k", "write -P 0x22 3m 64k")));
        f.add(new Fixture("chain-overlay-larger-raw-unaligned-base", "top.qcow2", false, b -> b
                .raw("base.raw", 1_000_001)
                .io("raw", "base.raw", "write -P 0xb1 0 1000001")
                .overlay("top.qcow2", "base.raw", "raw", SIZE, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 2m 64k")));
        f.add(new Fixture("chain-overlay-smaller", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 " + SIZE)
                .overlay("top.qcow2", "base.qcow2", "qcow2", 2 * MIB, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 1m 64k")));
        f.add(new Fixture("chain-overlay-larger-3", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", MIB, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("mid.qcow2", "base.qcow2", "qcow2", 2 * MIB, "")
                .overlay("top.qcow2", "mid.qcow2", "qcow2", SIZE, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 3m 4k")));
        f.add(new Fixture("backing-without-format-qcow2", "top.qcow2", true, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("top.qcow2", "base.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 64k 64k")
                .dropBackingFormat("top.qcow2")));
        f.add(new Fixture("backing-without-format-raw", "top.qcow2", false, b -> b
                .raw("base.raw", SIZE)
                .io("raw", "base.raw", "write -P 0xb1 0 1m")
                .overlay("top.qcow2", "base.raw", "raw", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 64k 64k")
                .dropBackingFormat("top.qcow2")));
        f.add(new Fixture("v2-backing-without-format", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "compat=0.10")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("top.qcow2", "base.qcow2", "qcow2", 0, "compat=0.10")
                .dropBackingFormat("top.qcow2")));
        f.add(new Fixture("backing-absolute-name", "top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("top.qcow2", b.dir().toAbsolutePath().resolve("base.qcow2").toString(), "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 64k 64k")));
        f.add(new Fixture("backing-in-subdirectory", "top.qcow2", true, b -> b
                .qcow2("sub/base.qcow2", SIZE, "")
                .io("qcow2", "sub/base.qcow2", "write -P 0xb1 0 1m")
                .overlay("top.qcow2", "sub/base.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 64k 64k")));
        f.add(new Fixture("backing-chain-across-directories", "top.qcow2", true, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("sub/mid.qcow2", "../base.qcow2", "qcow2", 0, "")
                .io("qcow2", "sub/mid.qcow2", "write -P 0xc1 512k 64k")
                .overlay("top.qcow2", "sub/mid.qcow2", "qcow2", 0, "")
                .io("qcow2", "top.qcow2", "write -P 0x21 64k 64k")));
        f.add(new Fixture("overlay-in-subdirectory", "sub/top.qcow2", false, b -> b
                .qcow2("base.qcow2", SIZE, "")
                .io("qcow2", "base.qcow2", "write -P 0xb1 0 1m")
                .overlay("sub/top.qcow2", "../base.qcow2", "qcow2", 0, "")
                .io("qcow2", "sub/top.qcow2", "write -P 0x21 64k 64k")));
        return f;
    }
}
