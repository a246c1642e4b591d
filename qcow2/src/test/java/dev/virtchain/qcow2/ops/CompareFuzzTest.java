package dev.virtchain.qcow2.ops;

import static dev.virtchain.qcow2.fuzz.FuzzHarness.failsOnlyNamingAFile;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.fuzz.FuzzInput;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.fuzz.FuzzWorld;
import dev.virtchain.qcow2.read.Images;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes {@link ImageCompare}. Option byte 0: bit 0 strict, bit 1 compare with a fixed sibling
 * image instead of with itself. An image compared with itself is identical, strict or not.
 */
class CompareFuzzTest {
    static Stream<Arguments> seeds() {
        return FuzzWorld.get().imageSeeds(new byte[] {0}, new byte[] {1}, new byte[] {2}, new byte[] {3});
    }

    @MethodSource("seeds")
    @FuzzTarget
    void anyImageComparesIdenticalWithItselfOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.decode(input);
        Path file = FuzzWorld.get().image();
        in.writeTo(file);
        boolean strict = (in.option(0) & 1) != 0;
        boolean sibling = (in.option(0) & 2) != 0;
        Path other = sibling ? FuzzWorld.get().sibling() : file;
        failsOnlyNamingAFile(() -> {
            try (Image a = Images.open(file.toString()); Image b = Images.open(other.toString())) {
                ImageCompare.Result r = ImageCompare.compare(a, b, strict);
                if (!sibling) {
                    assertEquals(ImageCompare.Verdict.IDENTICAL, r.verdict(), "an image compared with itself: " + r);
                }
            }
        });
    }
}
