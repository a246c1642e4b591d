package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.FuzzHarness.failsOnlyNamingAFile;
import static dev.virtchain.qcow2.FuzzHarness.readGuest;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Image#read}: L1 and L2 lookups, subclusters, compressed clusters, data files, backing reads. */
class ReadFuzzTest {
    @MethodSource("dev.virtchain.qcow2.FuzzWorld#images")
    @FuzzTarget
    void everyGuestByteReadsTheSameInAnyPiecesOrFailsNamingAFile(byte[] input) throws IOException {
        Path file = FuzzHarness.write(input);
        failsOnlyNamingAFile(() -> {
            try (Image img = Images.open(file.toString())) {
                readGuest(img);
            }
        });
    }
}
