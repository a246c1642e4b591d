package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.FuzzHarness.describe;
import static dev.virtchain.qcow2.FuzzHarness.failsOnlyNamingAFile;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Images#open}: probing, the header and its extensions, snapshots, bitmaps, the backing chain. */
class OpenFuzzTest {
    @MethodSource("dev.virtchain.qcow2.FuzzWorld#images")
    @FuzzTarget
    void anyImageOpensOrIsRefusedNamingTheFile(byte[] input) throws IOException {
        Path file = FuzzHarness.write(input);
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(file.toString())) {
                describe(img);
            }
        });
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(file.toString(), "qcow2", false)) { // as verify opens a backup
                describe(img);
            }
        });
    }
}
