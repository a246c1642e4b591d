package dev.virtchain.qcow2.ops;

import static dev.virtchain.qcow2.fuzz.FuzzHarness.assertNamesAFile;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.check.Qcow2Check;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.fuzz.FuzzInput;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.fuzz.FuzzWorld;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.qcow2.write.CreateOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link Flattener}: a flatten either fails naming a file, or writes an output that our own
 * {@link Qcow2Check} finds clean and our own {@link ImageCompare} finds identical to the input
 * (and qemu-img check finds clean, when seeds and findings are replayed).
 * The output's options come from the option bytes (see {@link #options}).
 */
class FlattenFuzzTest {
    /** Not fuzzing but replaying seeds and findings: a qemu-img run per input is affordable then. */
    private static final boolean REPLAYING = System.getenv("JAZZER_FUZZ") == null
            && System.getProperty("JAZZER_FUZZ") == null;

    /** Output options of the seeds: the defaults, then each image with one of the others in turn. */
    private static final byte[][] OUTPUTS = {
        {0, 0, 0},     // qcow2, 64 KiB clusters, reflink where the file system can: the defaults
        {1, 0, 0},     // raw
        {2, 12, 0},    // zlib compressed, 2 MiB clusters
        {4, 0, 0},     // zstd compressed
        {0, 13, 1},    // 512 B clusters, no reflink
        {0, 3, 0}};    // 4 KiB clusters

    static Stream<Arguments> seeds() {
        FuzzWorld w = FuzzWorld.get();
        return Stream.concat(w.imageSeeds(OUTPUTS[0]), w.imageSeeds(Arrays.copyOfRange(OUTPUTS, 1, OUTPUTS.length)));
    }

    /**
     * While fuzzing, outputs of more clusters than this are not flattened: the 1 GiB seed flattened
     * to 512 B clusters (2 Mi clusters of tables) takes 0.5 s as the CLI runs it but passed the 20 s
     * per-input timeout under Jazzer's instrumentation on a busy machine (2026-12-05). Replayed
     * seeds and findings are flattened whatever their size.
     */
    private static final long MAX_FUZZED_CLUSTERS = 256 << 10;

    /**
     * Byte 0: bit 0 raw output, bits 1-2 compression (1 zlib, 2 zstd); byte 1: cluster bits
     * (0: 16, else 9 + b % 13); byte 2: bit 0 no reflink. All zero: {@link Flattener.Options#qcow2()}.
     */
    static Flattener.Options options(FuzzInput in) {
        int compression = (in.option(0) >> 1) & 3;
        int bits = in.option(1) == 0 ? CreateOptions.DEFAULT_CLUSTER_BITS : 9 + in.option(1) % 13;
        return Flattener.Options.qcow2()
                .withFormat((in.option(0) & 1) != 0 ? "raw" : "qcow2")
                .withCompression(compression == 1 || compression == 2,
                        compression == 2 ? Qcow2Header.COMPRESSION_ZSTD : Qcow2Header.COMPRESSION_ZLIB)
                .withClusterBits(bits)
                .withReflink((in.option(2) & 1) == 0);
    }

    @MethodSource("seeds")
    @FuzzTarget
    void aFlattenIsCleanAndIdenticalOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.decode(input);
        FuzzWorld w = FuzzWorld.get();
        Path file = w.image();
        in.writeTo(file);
        Flattener.Options o = options(in);
        Path out = w.dir().resolve("flat.out");
        Files.deleteIfExists(out);
        Image src;
        try {
            src = Images.open(file.toString());
        } catch (IOException e) {
            assertNamesAFile(e);
            return;
        }
        try (src) {
            if (!REPLAYING && src.virtualSize() / o.unit() > MAX_FUZZED_CLUSTERS) {
                return;
            }
            try {
                Flattener.flatten(src, out, o, Progress.NONE);
            } catch (IOException e) {
                assertNamesAFile(e);
                return;
            }
            // From here on any exception is a finding: our own output must open, check and read.
            try (Image flat = Images.open(out.toString(), o.format(), false)) {
                assertEquals(src.virtualSize(), flat.virtualSize(), "virtual size of the flattened image");
                if (flat instanceof Qcow2Image q) {
                    List<String> problems = new ArrayList<>();
                    CheckResult r = Qcow2Check.check(q, problems::add);
                    assertEquals(0, r.exitCode(), "check of the flattened image (" + o + "): " + r + " " + problems);
                    if (REPLAYING) { // qemu-img, the oracle, judges each replayed seed and finding too
                        Qemu.img(out.getParent(), "check", "-q", "-f", "qcow2", out.getFileName().toString());
                    }
                }
                ImageCompare.Result r = ImageCompare.compare(src, flat, false);
                assertEquals(ImageCompare.Verdict.IDENTICAL, r.verdict(), "flattened (" + o + ") and source: " + r);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
