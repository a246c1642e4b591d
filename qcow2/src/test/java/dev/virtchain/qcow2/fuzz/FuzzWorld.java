package dev.virtchain.qcow2.fuzz;

import dev.virtchain.qcow2.testing.ImageMatrix.Recipe;
import dev.virtchain.qcow2.testing.ImageMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Where the fuzz targets ({@link FuzzTarget}) work, and what they start from. The fixed files a
 * fuzzed image may lean on (backing files, external data files, a sibling to compare with, a
 * three-layer chain) and the seed inputs are made by qemu-img and qemu-io, once per build: they
 * are kept under {@code target/fuzz-world/<stamp>}, the stamp a digest of this class, so a
 * changed recipe makes them anew and the one JVM per fuzzed target does not wait for qemu again.
 * Each JVM copies the fixed files into a directory of its own (a copy of the chain for each
 * position a fuzzed layer can take); the fuzzed file is rewritten in place for each input, so an
 * execution costs one small write.
 *
 * <p>{@code -Dfuzz.dir=DIR} works in DIR instead of a fresh temporary directory (a tmpfs is
 * faster; the default is the file system the build runs on, as virtchain's users' is).
 */
public final class FuzzWorld {
    static final long KIB = 1024;
    static final long MIB = 1024 * KIB;
    /** The layers of the fixed chain, top first; a chain input names the one it replaces by index. */
    public static final List<String> CHAIN = List.of("top.qcow2", "mid.qcow2", "base.img");
    /** The fixed files beside a single fuzzed image, made by {@link #neighbours}. */
    private static final List<String> NEIGHBOURS = List.of("base.qcow2", "base.raw", "sparse.raw", "sibling.qcow2",
            "ext.data", "ext-raw.data");

    private static FuzzWorld world;

    private final Path dir;
    private final Map<String, byte[]> imageSeeds = new LinkedHashMap<>();
    private final Map<String, byte[]> chainSeeds = new LinkedHashMap<>();

    private FuzzWorld(Path dir) {
        this.dir = dir;
    }

    public static synchronized FuzzWorld get() {
        if (world == null) {
            try {
                Path made = made();
                String where = System.getProperty("fuzz.dir");
                Path dir = where != null ? Files.createDirectories(Path.of(where)).toAbsolutePath()
                        : Files.createTempDirectory("qcow2-fuzz");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                FuzzWorld w = new FuzzWorld(dir);
                w.load(made);
                world = w;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return world;
    }

    public Path dir() {
        return dir;
    }

    /** Where a single-image target writes its input. */
    public Path image() {
        return dir.resolve("fuzz.qcow2");
    }

    /** The fixed image compare's sibling inputs are compared with. */
    public Path sibling() {
        return dir.resolve("sibling.qcow2");
    }

    /** Where a chain input is written: layer {@code position} (0 top, 1 middle, 2 base) of its own copy of the chain. */
    public Path chainLayer(int position) {
        return dir.resolve("chain-" + position).resolve(CHAIN.get(position));
    }

    /** The top of the chain whose layer {@code position} the input replaced. */
    public Path chainTop(int position) {
        return dir.resolve("chain-" + position).resolve(CHAIN.get(0));
    }

    /** The seeds of the single-image targets: every image with the default options. */
    static Stream<Arguments> images() {
        return get().imageSeeds();
    }

    /** Seeds of single images, each with {@code options} (cycled through the seeds) as its option bytes. */
    public Stream<Arguments> imageSeeds(byte[]... options) {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (var e : imageSeeds.entrySet()) {
            byte[] o = options.length == 0 ? new byte[0] : options[i++ % options.length];
            out.add(Arguments.of(Named.of(e.getKey(), FuzzInput.encode(e.getValue(), o))));
        }
        return out.stream();
    }

    /** Seeds of chains: a layer for each position, its position in option byte 0. */
    public Stream<Arguments> chainSeeds() {
        return chainSeeds.entrySet().stream()
                .map(e -> Arguments.of(Named.of(e.getKey(), e.getValue())));
    }

    /** Copies the fixed files into this JVM's directory and reads the seeds. */
    private void load(Path made) throws IOException {
        for (String f : NEIGHBOURS) {
            Files.copy(made.resolve("fixed").resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        for (int p = 0; p < CHAIN.size(); p++) {
            Path copy = Files.createDirectories(dir.resolve("chain-" + p));
            for (String f : CHAIN) {
                Files.copy(made.resolve("fixed").resolve("chain").resolve(f), copy.resolve(f),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        for (Path p : sorted(made.resolve("images"))) {
            imageSeeds.put(p.getFileName().toString().substring(3), Files.readAllBytes(p));
        }
        for (Path p : sorted(made.resolve("chains"))) {
            chainSeeds.put(p.getFileName().toString().substring(3), Files.readAllBytes(p));
        }
    }

    private static List<Path> sorted(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().toList();
        }
    }

    // ---- making it, once per build ----

    /** The directory of fixed files and seeds for this version of the recipes, made if missing. */
    private static Path made() throws IOException {
        Path root = Path.of("target", "fuzz-world").toAbsolutePath();
        Path made = root.resolve(stamp());
        if (Files.exists(made.resolve("complete"))) {
            return made;
        }
        Files.createDirectories(root);
        Path tmp = Files.createTempDirectory(root, "making-");
        new Maker(tmp).make();
        Files.writeString(tmp.resolve("complete"), "");
        try {
            Files.move(tmp, made, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException someoneElseWasFirst) {
            deleteQuietly(tmp);
        }
        return made;
    }

    /** A digest of the bytecode that holds the recipes (their lambdas compile into the maker's class). */
    private static String stamp() throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Class<?> c : List.of(FuzzWorld.class, Maker.class)) {
                String file = c.getName().substring(c.getPackageName().length() + 1) + ".class"; // FuzzWorld$Maker.class
                try (InputStream in = c.getResourceAsStream(file)) {
                    md.update(in.readAllBytes());
                }
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes the fixed files under {@code fixed/}, and seeds as {@code images/NN-name} and {@code chains/NN-name}. */
    private static final class Maker {
        private final Path fixed;
        private final Path seeds;
        private final Path images;
        private final Path chains;
        private int count; // numbers the seeds, which keeps their order

        Maker(Path root) throws IOException {
            fixed = Files.createDirectories(root.resolve("fixed"));
            seeds = Files.createDirectories(root.resolve("work"));
            images = Files.createDirectories(root.resolve("images"));
            chains = Files.createDirectories(root.resolve("chains"));
        }

        void make() throws IOException {
            neighbours();
            imageLayers();
            chainLayers();
            deleteQuietly(seeds);
        }

        /** The backing files seeds name, the sibling and the chain (data files come with their seeds). */
        private void neighbours() throws IOException {
            make("neighbours", "base.qcow2", b -> b
                    .qcow2("base.qcow2", 4 * MIB, "")
                    .io("qcow2", "base.qcow2", "write -P 0xb1 0 64k", "write -P 0xb2 1m 4k", "write -z 2m 64k")
                    .raw("base.raw", MIB)
                    .io("raw", "base.raw", "write -P 0xb3 0 1m")                 // not sparse
                    .raw("sparse.raw", 4 * MIB)
                    .io("raw", "sparse.raw", "write -P 0xb4 1m 64k")             // mostly holes
                    .qcow2("sibling.qcow2", 4 * MIB, "cluster_size=4k")
                    .io("qcow2", "sibling.qcow2", "write -P 0x11 0 4k", "write -P 0x22 1m 512", "write -z 2m 8k"));
            for (String f : List.of("base.qcow2", "base.raw", "sparse.raw", "sibling.qcow2")) {
                Files.copy(seeds.resolve("neighbours").resolve(f), fixed.resolve(f));
            }
            // The fixed chain: its middle layer names its base without a format, so a fuzzed base is probed.
            make("chain", "top.qcow2", b -> b
                    .raw("base.img", 4 * MIB)
                    .io("raw", "base.img", "write -P 0xc1 0 1m", "write -P 0xc2 3m 64k")
                    .overlay("mid.qcow2", "base.img", "raw", 0, "cluster_size=4k")
                    .io("qcow2", "mid.qcow2", "write -P 0xc3 512k 8k", "write -z 3m 4k")
                    .dropBackingFormat("mid.qcow2")
                    .overlay("top.qcow2", "mid.qcow2", "qcow2", 0, "")
                    .io("qcow2", "top.qcow2", "write -P 0xc4 1m 4k", "write -z 520k 4k"));
            Path chain = Files.createDirectories(fixed.resolve("chain"));
            for (String f : CHAIN) {
                Files.copy(seeds.resolve("chain").resolve(f), chain.resolve(f));
            }
        }

        /**
         * Images that cover the format: every cluster size and refcount width qemu allows, extended
         * L2, both compression types, version 2, snapshots, bitmaps, external data files, backing
         * files of each kind, raw files. Writes are small and cluster-aligned where they can be, so
         * most clusters are mostly zeros and the inputs spread out small.
         */
        private void imageLayers() throws IOException {
            String small = "write -P 0x11 0 512";
            for (long cs : List.of(512L, 4 * KIB, 64 * KIB, 2 * MIB)) {
                long size = cs == 2 * MIB ? 16 * MIB : 4 * MIB;
                image("v3-clusters-" + cs, b -> b
                        .qcow2("img.qcow2", size, "cluster_size=" + cs)
                        .io("qcow2", "img.qcow2", small, "write -P 0x12 " + (size / 4) + " 512",
                                "write -z " + (size / 2) + " " + cs, "write -c -P 0x13 " + (3 * size / 4) + " " + cs,
                                "discard " + (size / 4 + cs) + " " + cs));
            }
            for (long cs : List.of(4 * KIB, 64 * KIB)) {
                image("v2-clusters-" + cs, b -> b
                        .qcow2("img.qcow2", 4 * MIB, "compat=0.10,cluster_size=" + cs)
                        .io("qcow2", "img.qcow2", small, "write -c -P 0x13 1m " + cs, "write -z 2m " + cs));
            }
            for (int bits : List.of(1, 2, 4, 8, 16, 32, 64)) {
                image("refcount-bits-" + bits, b -> b
                        .qcow2("img.qcow2", MIB, "cluster_size=4k,refcount_bits=" + bits)
                        .io("qcow2", "img.qcow2", small, "write -P 0x12 256k 512", "write -z 512k 8k"));
            }
            for (long cs : List.of(64 * KIB, 2 * MIB)) {
                long sc = cs / 32;
                long first = cs == 2 * MIB ? 0 : sc; // data inside a 2 MiB cluster would make the input large
                image("extended-l2-" + cs, b -> b
                        .qcow2("img.qcow2", 16 * MIB, "extended_l2=on,cluster_size=" + cs)
                        .io("qcow2", "img.qcow2", "write -P 0x11 " + first + " 512", "write -z " + (3 * sc) + " " + sc,
                                "write -P 0x12 " + cs + " 512", "write -c -P 0x13 " + (4 * cs) + " " + cs,
                                "discard " + (cs + 8 * sc) + " " + (2 * sc)));
            }
            for (String type : List.of("zlib", "zstd")) {
                image("compressed-" + type, b -> b
                        .qcow2("img.qcow2", 4 * MIB, "cluster_size=4k,compression_type=" + type)
                        .io("qcow2", "img.qcow2", "write -c -P 0x21 0 4k", "write -c -P 0x22 8k 4k",
                                "write -c -P 0x23 1m 64k", "write -P 0x24 2m 512", "write -z 12k 4k"));
            }
            image("snapshots", b -> b
                    .qcow2("img.qcow2", 4 * MIB, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", small)
                    .img("snapshot", "-c", "first", "img.qcow2")
                    .io("qcow2", "img.qcow2", "write -P 0x12 0 512", "write -P 0x13 1m 512")
                    .img("snapshot", "-c", "second", "img.qcow2")
                    .io("qcow2", "img.qcow2", "discard 0 4k"));
            image("v2-snapshots", b -> b
                    .qcow2("img.qcow2", 4 * MIB, "compat=0.10,cluster_size=4k")
                    .io("qcow2", "img.qcow2", small)
                    .img("snapshot", "-c", "s1", "img.qcow2")
                    .io("qcow2", "img.qcow2", "write -P 0x12 0 512"));
            image("bitmaps", b -> b
                    .qcow2("img.qcow2", 4 * MIB, "cluster_size=4k")
                    .img("bitmap", "--add", "img.qcow2", "b-enabled")
                    .img("bitmap", "--add", "-g", "128k", "img.qcow2", "b-128k")
                    .img("bitmap", "--add", "--disable", "img.qcow2", "b-disabled")
                    .io("qcow2", "img.qcow2", small, "write -P 0x12 1m 512"));
            // Relative data file names: qemu-img runs in the seed's directory, we open them beside the image.
            image("data-file", "img.qcow2", List.of(), List.of("ext.data"), b -> b
                    .qcow2("img.qcow2", 4 * MIB, "cluster_size=4k,data_file=ext.data")
                    .io("qcow2", "img.qcow2", small, "write -P 0x12 1m 4k", "write -z 2m 4k"));
            image("data-file-raw", "img.qcow2", List.of(), List.of("ext-raw.data"), b -> b
                    .qcow2("img.qcow2", 4 * MIB, "cluster_size=4k,data_file=ext-raw.data,data_file_raw=on")
                    .io("qcow2", "img.qcow2", small, "write -P 0x12 1m 4k", "write -z 2m 4k"));
            image("preallocation-metadata", b -> b
                    .qcow2("img.qcow2", MIB, "cluster_size=4k,preallocation=metadata")
                    .io("qcow2", "img.qcow2", small));
            image("lazy-refcounts-dirty", b -> b
                    .qcow2("img.qcow2", MIB, "cluster_size=4k,lazy_refcounts=on")
                    .ioKilled("img.qcow2", small, "write -P 0x12 512k 4k"));
            image("corrupt-flag", b -> b
                    .qcow2("img.qcow2", MIB, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", small)
                    .setIncompatible("img.qcow2", 2));
            image("large-sparse", b -> b // a 1 GiB guest: a larger L1 table, and outputs of that size
                    .qcow2("img.qcow2", 1024 * MIB, "")
                    .io("qcow2", "img.qcow2", small, "write -P 0x12 512m 512")); // first entry of an L2 table
            image("random-data", "img.qcow2", List.of(), List.of(), b -> { // data that does not compress
                byte[] noise = new byte[8192];
                new Random(1).nextBytes(noise);
                Files.write(b.dir().resolve("noise.bin"), noise);
                b.qcow2("img.qcow2", MIB, "cluster_size=4k").io("qcow2", "img.qcow2", "write -s noise.bin 0 8k");
            });
            image("zero-data", b -> b // clusters allocated as data that read as zeros
                    .qcow2("img.qcow2", 4 * MIB, "")
                    .io("qcow2", "img.qcow2", "write -P 0 0 64k", "write -P 0x12 64k 512", "write -P 0 1m 128k"));
            image("virtual-size-odd", b -> b
                    .qcow2("img.qcow2", 1_000_001, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", "write -P 0x11 995840 4608")); // to the size rounded up to 512
            image("backing-qcow2", "img.qcow2", List.of("base.qcow2"), List.of(), b -> b
                    .overlay("img.qcow2", "base.qcow2", "qcow2", 0, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", "write -P 0x12 4k 512", "write -z 0 4k", "discard 1m 4k"));
            image("backing-raw", "img.qcow2", List.of("base.raw"), List.of(), b -> b
                    .overlay("img.qcow2", "base.raw", "raw", 2 * MIB, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", "write -P 0x12 4k 512", "write -z 8k 4k"));
            image("backing-sparse-raw-probed", "img.qcow2", List.of("sparse.raw"), List.of(), b -> b
                    .overlay("img.qcow2", "sparse.raw", "raw", 0, "cluster_size=4k")
                    .io("qcow2", "img.qcow2", "write -P 0x12 1m 512")
                    .dropBackingFormat("img.qcow2"));
            image("raw-sparse", "img.raw", List.of(), List.of(), b -> b
                    .raw("img.raw", 4 * MIB)
                    .io("raw", "img.raw", "write -P 0x31 0 512", "write -P 0x32 3m 512"));
            image("raw-dense", "img.raw", List.of(), List.of(), b -> b
                    .raw("img.raw", 64 * KIB)
                    .io("raw", "img.raw", "write -P 0x33 0 64k"));
        }

        /** Layers for each position of the fixed chain, built on copies of its other layers. */
        private void chainLayers() throws IOException {
            chain("top-plain", 0, b -> b
                    .overlay("top.qcow2", "mid.qcow2", "qcow2", 0, "cluster_size=4k")
                    .io("qcow2", "top.qcow2", "write -P 0xd1 0 512", "write -z 1m 4k", "discard 512k 4k"));
            chain("top-extended-l2", 0, b -> b
                    .overlay("top.qcow2", "mid.qcow2", "qcow2", 0, "extended_l2=on")
                    .io("qcow2", "top.qcow2", "write -P 0xd2 2k 512", "write -z 6k 2k"));
            chain("top-larger-than-chain", 0, b -> b
                    .overlay("top.qcow2", "mid.qcow2", "qcow2", 6 * MIB, "cluster_size=512")
                    .io("qcow2", "top.qcow2", "write -P 0xd3 5m 512"));
            chain("top-v2-compressed", 0, b -> b
                    .overlay("top.qcow2", "mid.qcow2", "qcow2", 0, "compat=0.10,cluster_size=4k")
                    .io("qcow2", "top.qcow2", "write -c -P 0xd4 64k 4k"));
            chain("mid-raw-base", 1, b -> b
                    .overlay("mid.qcow2", "base.img", "raw", 0, "cluster_size=4k")
                    .io("qcow2", "mid.qcow2", "write -P 0xe1 0 512", "write -z 8k 4k"));
            chain("mid-probed-base", 1, b -> b
                    .overlay("mid.qcow2", "base.img", "raw", 0, "cluster_size=512,compression_type=zstd")
                    .io("qcow2", "mid.qcow2", "write -c -P 0xe2 4k 512")
                    .dropBackingFormat("mid.qcow2"));
            chain("base-raw-dense", 2, b -> b
                    .raw("base.img", 64 * KIB)
                    .io("raw", "base.img", "write -P 0xf1 0 64k"));
            chain("base-raw-sparse", 2, b -> b
                    .raw("base.img", 8 * MIB)
                    .io("raw", "base.img", "write -P 0xf2 1m 512"));
            chain("base-qcow2", 2, b -> b
                    .qcow2("base.img", 4 * MIB, "cluster_size=4k")
                    .io("qcow2", "base.img", "write -P 0xf3 0 512", "write -z 4k 4k"));
        }

        // ---- helpers ----

        private void image(String name, Recipe r) throws IOException {
            image(name, "img.qcow2", List.of(), List.of(), r);
        }

        /**
         * A seed made in its own directory: {@code in} are fixed files copied there first (the
         * backing files it names), {@code out} files it makes that become fixed ones (its data file).
         */
        private void image(String name, String topName, List<String> in, List<String> out, Recipe r) throws IOException {
            Path d = Files.createDirectories(seeds.resolve(name));
            for (String f : in) {
                Files.copy(fixed.resolve(f), d.resolve(f));
            }
            Path top = make(name, topName, r);
            for (String f : out) {
                Files.copy(d.resolve(f), fixed.resolve(f));
            }
            Files.write(images.resolve(String.format("%02d-%s", count++, name)), Files.readAllBytes(top));
        }

        /** A layer for chain position {@code position}, made over copies of the fixed layers below it. */
        private void chain(String name, int position, Recipe r) throws IOException {
            Path d = Files.createDirectories(seeds.resolve("chain-" + name));
            for (int p = position + 1; p < CHAIN.size(); p++) {
                Files.copy(fixed.resolve("chain").resolve(CHAIN.get(p)), d.resolve(CHAIN.get(p)));
            }
            Path layer = make("chain-" + name, CHAIN.get(position), r);
            Files.write(chains.resolve(String.format("%02d-%s", count++, name)),
                    FuzzInput.encode(Files.readAllBytes(layer), (byte) position));
        }

        private Path make(String name, String top, Recipe r) throws IOException {
            return new ImageMatrix.Fixture(name, top, false, r).build(seeds);
        }
    }

    static void deleteQuietly(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // a temporary directory: what is left is left
        }
    }
}
