package dev.virtchain.qcow2.read;

import static dev.virtchain.qcow2.fuzz.FuzzHarness.describe;
import static dev.virtchain.qcow2.fuzz.FuzzHarness.failsOnlyNamingAFile;
import static dev.virtchain.qcow2.fuzz.FuzzHarness.readGuest;
import static dev.virtchain.qcow2.fuzz.FuzzHarness.walkMap;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.fuzz.FuzzInput;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.fuzz.FuzzWorld;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes backing chain resolution and reads through a chain: the input replaces one layer (option
 * byte 0: 0 top, 1 middle, 2 base) of a fixed three-layer chain (qcow2 over qcow2 over a raw base
 * named without a format, so a base is probed), which is then opened, read and mapped from the top.
 */
class ChainFuzzTest {
    /** Layers made for each position, and every single image as a base. */
    static Stream<Arguments> seeds() {
        FuzzWorld w = FuzzWorld.get();
        return Stream.concat(w.chainSeeds(), w.imageSeeds(new byte[] {2}));
    }

    @MethodSource("seeds")
    @FuzzTarget
    void aChainWithAnyLayerOpensReadsAndMapsOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.decode(input);
        int position = in.option(0) % FuzzWorld.CHAIN.size();
        FuzzWorld w = FuzzWorld.get();
        in.writeTo(w.chainLayer(position));
        failsOnlyNamingAFile(() -> {
            try (Image top = Images.open(w.chainTop(position).toString())) {
                describe(top);
                readGuest(top);
                walkMap(top);
            }
        });
    }
}
