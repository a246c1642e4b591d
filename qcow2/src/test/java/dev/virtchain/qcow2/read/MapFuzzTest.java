package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.fuzz.FuzzHarness;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link ChainMap} (qemu-img map) and the block status of each layer under it. */
class MapFuzzTest {
    @MethodSource("dev.virtchain.qcow2.fuzz.FuzzWorld#images")
    @FuzzTarget
    void anyImageMapsToContiguousEntriesOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzHarness.withImage(input, FuzzHarness::walkMap);
    }
}
