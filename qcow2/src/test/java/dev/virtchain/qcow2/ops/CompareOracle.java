package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code qemu-img compare} (the oracle) and {@link ImageCompare} on the same two files in {@code dir}. */
final class CompareOracle {
    private CompareOracle() {
    }

    /** Asserts our exit code and stdout equal qemu-img compare's; returns the stdout without the last newline. */
    static String assertSameAsQemu(Path dir, boolean strict, String a, String b) throws IOException {
        List<String> args = new ArrayList<>(List.of("compare"));
        if (strict) {
            args.add("-s");
        }
        args.add(a);
        args.add(b);
        Qemu.Result q = Qemu.run(dir, "qemu-img", args.toArray(String[]::new));
        ImageCompare.Result ours;
        try (Image ia = Images.open(dir.resolve(a).toString()); Image ib = Images.open(dir.resolve(b).toString())) {
            ours = ImageCompare.compare(ia, ib, strict);
        }
        String out = String.join("\n", ours.lines()) + "\n";
        String what = "compare " + String.join(" ", args) + "; qemu-img stderr: " + q.stderr();
        assertEquals(q.stdout(), out, what);
        assertEquals(q.exitCode(), ours.exitCode(), what);
        return out.strip();
    }
}
