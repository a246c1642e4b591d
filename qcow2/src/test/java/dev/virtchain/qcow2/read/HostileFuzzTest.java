package dev.virtchain.qcow2.read;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.Bitmap;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.Snapshot;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz target (after crosvm's {@code qcow_fuzzer}): small valid images made by qemu-img
 * and qemu-io, bytes changed at random positions (mostly the header and the metadata tables),
 * then opened, read to the last guest byte and mapped. Only an {@link ImageException} may come
 * out, and nothing may hang. Reproduce a failure with {@code -Dfuzz.seed=S}; the image that broke
 * us is left under {@code target/fuzz-failures}. A cheap, repeatable sweep: the coverage-guided
 * targets ({@code *FuzzTest} with a {@link FuzzTarget}, see qcow2/FUZZING.md) go deeper.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileFuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 0x7669727463L); // "virtc"
    private static final int CASES_PER_IMAGE = Integer.getInteger("fuzz.cases", 400);
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(10);
    /** Enough to read every guest byte of the seed images; a mutated size may claim terabytes. */
    private static final long READ_CAP = 16L << 20;
    private static final long[] INTERESTING = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffffL, 0x80000000L,
        0xffffffffL, Long.MAX_VALUE, Long.MIN_VALUE, 0x0100000000000000L, 0x4000000000000000L, 0x200, 0x10000,
        0x00fffffffffffe00L};

    @TempDir
    static Path seeds;

    /** A seed: the files of one chain, the top first. */
    private record Seed(String name, Map<String, byte[]> files, List<long[]> hotRegions) {
    }

    private static final List<Seed> SEEDS = new ArrayList<>();

    @BeforeAll
    static void makeSeedImages() throws IOException {
        seed("plain", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -P 0x11 0 64k", "write -P 0x22 1M 8k", "write -z 2M 64k");
        });
        seed("compressed-zlib", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -c -P 0x33 0 4k", "write -c -P 0x44 64k 4k", "write -P 0x45 128k 4k");
        });
        seed("compressed-zstd", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096,compression_type=zstd", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -c -P 0x36 0 4k", "write -c -P 0x47 64k 4k");
        });
        seed("snapshots", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -P 0x51 0 8k");
            img(dir, "snapshot", "-c", "first", "top.qcow2");
            io(dir, "top.qcow2", "write -P 0x52 4k 8k");
            img(dir, "snapshot", "-c", "second", "top.qcow2");
        });
        seed("bitmaps", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "top.qcow2", "4M");
            img(dir, "bitmap", "--add", "top.qcow2", "b0");
            img(dir, "bitmap", "--add", "-g", "65536", "top.qcow2", "b1");
            io(dir, "top.qcow2", "write -P 0x61 0 8k");
        });
        seed("extended-l2", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=16384,extended_l2=on", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -P 0x71 0 2k", "write -z 4k 2k", "write -P 0x72 40k 1k");
        });
        seed("backing", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "base.qcow2", "4M");
            io(dir, "base.qcow2", "write -P 0x81 0 64k");
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096", "-b", "base.qcow2", "-F", "qcow2",
                    "top.qcow2");
            io(dir, "top.qcow2", "write -P 0x82 4k 4k", "write -z 16k 4k");
        });
        seed("version-2", dir -> {
            img(dir, "create", "-f", "qcow2", "-o", "cluster_size=4096,compat=0.10", "top.qcow2", "4M");
            io(dir, "top.qcow2", "write -P 0x91 0 8k", "write -c -P 0x92 64k 4k");
        });
    }

    @Test
    void mutated_images_fail_only_with_an_image_exception_and_never_hang() throws IOException {
        Random random = new Random(SEED);
        Path work = Files.createDirectories(seeds.resolve("work"));
        for (Seed seed : SEEDS) {
            for (int i = 0; i < CASES_PER_IMAGE; i++) {
                runCase(seed, i, random, work);
            }
        }
    }

    private static void runCase(Seed seed, int caseNo, Random random, Path work) throws IOException {
        String target = seed.files().size() > 1 && random.nextInt(4) == 0 ? "base.qcow2" : "top.qcow2";
        byte[] image = seed.files().get(target).clone();
        List<String> changes = new ArrayList<>();
        int n = 1 + random.nextInt(4);
        for (int m = 0; m < n; m++) {
            changes.add(mutate(image, target.equals("top.qcow2") ? seed.hotRegions() : List.of(), random));
        }
        for (var e : seed.files().entrySet()) {
            Files.write(work.resolve(e.getKey()), e.getKey().equals(target) ? image : e.getValue());
        }
        Path top = work.resolve("top.qcow2");
        String what = "seed " + SEED + ", image " + seed.name() + ", case " + caseNo + ", " + target + ": " + changes;
        try {
            assertTimeoutPreemptively(CASE_TIMEOUT, () -> openReadMap(top), () -> keep(seed, caseNo, work)
                    + " hung: " + what);
        } catch (org.opentest4j.AssertionFailedError hung) {
            throw hung;
        } catch (Throwable t) {
            if (!(t instanceof ImageException)) { // the only acceptable failure
                throw new AssertionError(keep(seed, caseNo, work) + " escaped " + t + ": " + what, t);
            }
        }
    }

    private static void openReadMap(Path top) throws IOException {
        try (Image img = Images.open(top.toString())) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < Math.min(img.virtualSize(), READ_CAP); pos += buf.capacity()) {
                buf.clear();
                img.read(pos, buf);
            }
            ChainMap.map(img);
        }
    }

    /** Changes bytes at a position chosen in the first cluster, a metadata table, or anywhere. */
    private static String mutate(byte[] image, List<long[]> hot, Random random) {
        int where = random.nextInt(10);
        int pos;
        if (where < 4 || hot.isEmpty()) {
            pos = random.nextInt(Math.min(image.length, where < 2 ? 112 : 4096)); // header, then its extensions
        } else if (where < 8) {
            long[] r = hot.get(random.nextInt(hot.size()));
            pos = (int) Math.min(image.length - 1, r[0] + (long) (random.nextDouble() * r[1]));
        } else {
            pos = random.nextInt(image.length);
        }
        ByteBuffer b = ByteBuffer.wrap(image);
        int kind = random.nextInt(5);
        int width = kind == 0 ? 1 : kind == 1 ? 1 : kind == 2 ? 2 : kind == 3 ? 4 : 8;
        pos = Math.max(0, Math.min(pos & -width, image.length - width));
        String before = HexFormat.of().formatHex(image, pos, pos + width);
        switch (kind) {
            case 0 -> image[pos] ^= (byte) (1 << random.nextInt(8));
            case 1 -> image[pos] = (byte) random.nextInt(256);
            case 2 -> b.putShort(pos, (short) pick(random));
            case 3 -> b.putInt(pos, (int) pick(random));
            default -> b.putLong(pos, pick(random));
        }
        return "0x" + Integer.toHexString(pos) + ": " + before + "->" + HexFormat.of().formatHex(image, pos, pos + width);
    }

    private static long pick(Random random) {
        return random.nextInt(3) == 0 ? random.nextLong() : INTERESTING[random.nextInt(INTERESTING.length)]
                + (random.nextBoolean() ? 0 : random.nextInt(3) - 1);
    }

    /** Copies the failing chain to target/fuzz-failures so it can become a regression image. */
    private static String keep(Seed seed, int caseNo, Path work) {
        try {
            Path out = Files.createDirectories(Path.of("target", "fuzz-failures", seed.name() + "-" + caseNo));
            for (String f : seed.files().keySet()) {
                Files.copy(work.resolve(f), out.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return out.toAbsolutePath().toString();
        } catch (IOException e) {
            return "(not saved: " + e.getMessage() + ")";
        }
    }

    // ---- seed images ----

    @FunctionalInterface
    private interface Maker {
        void make(Path dir) throws IOException;
    }

    private static void seed(String name, Maker maker) throws IOException {
        Path dir = Files.createDirectories(seeds.resolve(name));
        maker.make(dir);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("top.qcow2", Files.readAllBytes(dir.resolve("top.qcow2")));
        if (Files.exists(dir.resolve("base.qcow2"))) {
            files.put("base.qcow2", Files.readAllBytes(dir.resolve("base.qcow2")));
        }
        SEEDS.add(new Seed(name, files, hotRegions(dir.resolve("top.qcow2"))));
    }

    /** The metadata of a valid image: L1, refcount, L2 and snapshot tables, bitmap directory and tables. */
    private static List<long[]> hotRegions(Path file) throws IOException {
        List<long[]> hot = new ArrayList<>();
        try (Qcow2Image img = (Qcow2Image) Images.open(file.toString(), "qcow2", false)) {
            Qcow2Header h = img.header();
            long cs = h.clusterSize();
            hot.add(new long[] {h.l1TableOffset(), h.l1Size() * 8L});
            hot.add(new long[] {h.refcountTableOffset(), 64});
            if (h.nbSnapshots() > 0) {
                hot.add(new long[] {h.snapshotsOffset(), 256});
                for (Snapshot s : img.snapshots()) {
                    hot.add(new long[] {s.l1TableOffset(), s.l1Size() * 8L});
                }
            }
            if (h.bitmapsValid()) {
                hot.add(new long[] {h.bitmaps().directoryOffset(), h.bitmaps().directorySize()});
                for (Bitmap b : img.bitmaps()) {
                    hot.add(new long[] {b.tableOffset(), b.tableSize() * 8L});
                }
            }
            ByteBuffer l1 = ByteBuffer.wrap(Files.readAllBytes(file));
            for (int i = 0; i < h.l1Size(); i++) {
                long l2 = l1.getLong((int) h.l1TableOffset() + 8 * i) & L2Entry.L1E_OFFSET_MASK;
                if (l2 != 0) {
                    hot.add(new long[] {l2, Math.min(cs, 256)}); // the entries in use sit at the start
                }
            }
        }
        return hot;
    }

    private static void img(Path dir, String... args) {
        Qemu.img(dir, args);
    }

    private static void io(Path dir, String file, String... commands) {
        List<String> args = new ArrayList<>();
        for (String c : commands) {
            args.add("-c");
            args.add(c);
        }
        args.add(file);
        Qemu.io(dir, args.toArray(String[]::new));
    }
}
