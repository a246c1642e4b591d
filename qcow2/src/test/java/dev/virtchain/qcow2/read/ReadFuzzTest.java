package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.fuzz.FuzzHarness;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Image#read}: L1 and L2 lookups, subclusters, compressed clusters, data files, backing reads. */
class ReadFuzzTest {
    @MethodSource("dev.virtchain.qcow2.fuzz.FuzzWorld#images")
    @FuzzTarget
    void everyGuestByteReadsTheSameInAnyPiecesOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzHarness.withImage(input, FuzzHarness::readGuest);
    }
}
