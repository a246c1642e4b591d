package dev.virtchain.qcow2.check;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.fuzz.FuzzHarness;
import dev.virtchain.qcow2.fuzz.FuzzTarget;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import org.junit.jupiter.params.provider.MethodSource;

/** Fuzzes {@link Qcow2Check}: refcounts, every table of the active layer, snapshots and bitmaps. */
class CheckFuzzTest {
    @MethodSource("dev.virtchain.qcow2.fuzz.FuzzWorld#images")
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
