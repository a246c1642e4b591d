package dev.virtchain.qcow2.read;

import static dev.virtchain.qcow2.fuzz.FuzzHarness.describe;
import static dev.virtchain.qcow2.fuzz.FuzzHarness.failsOnlyNamingAFile;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.fuzz.FuzzHarness;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.fuzz.FuzzWorld;
import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Images#open}: probing, the header and its extensions, snapshots, bitmaps, the backing chain. */
class OpenFuzzTest {
    @MethodSource("dev.virtchain.qcow2.fuzz.FuzzWorld#images")
    @FuzzTarget
    void anyImageOpensOrIsRefusedNamingTheFile(byte[] input) throws IOException {
        FuzzHarness.withImage(input, FuzzHarness::describe);
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(FuzzWorld.get().image().toString(), "qcow2", false)) { // as verify opens
                describe(img);
            }
        });
    }
}
