package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Qcow2Check}: refcounts, every table of the active layer, snapshots and bitmaps. */
class CheckFuzzTest {
    @MethodSource("dev.virtchain.qcow2.FuzzWorld#images")
    @FuzzTarget
    void anyImageChecksOrFailsNamingAFile(byte[] input) throws IOException {
        FuzzHarness.withImage(input, img -> { // as img check opens it: with its chain
            if (img instanceof Qcow2Image q) {
                CheckResult r = Qcow2Check.check(q, problem -> { });
                assertTrue(r.exitCode() >= 0 && r.exitCode() <= 3, "exit code " + r.exitCode());
            }
        });
    }
}
