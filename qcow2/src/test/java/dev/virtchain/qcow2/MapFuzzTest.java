package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.FuzzHarness.failsOnlyNamingAFile;
import static dev.virtchain.qcow2.FuzzHarness.walkMap;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link ChainMap} (qemu-img map) and the block status of each layer under it. */
class MapFuzzTest {
    @MethodSource("dev.virtchain.qcow2.FuzzWorld#images")
    @FuzzTarget
    void anyImageMapsToContiguousEntriesOrFailsNamingAFile(byte[] input) throws IOException {
        Path file = FuzzHarness.write(input);
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(file.toString())) {
                walkMap(img);
            }
        });
    }
}
