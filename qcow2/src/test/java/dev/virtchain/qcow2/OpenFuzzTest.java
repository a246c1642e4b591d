package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.FuzzHarness.describe;
import static dev.virtchain.qcow2.FuzzHarness.failsOnlyNamingAFile;

import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Images#open}: probing, the header and its extensions, snapshots, bitmaps, the backing chain. */
class OpenFuzzTest {
    @MethodSource("dev.virtchain.qcow2.FuzzWorld#images")
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
