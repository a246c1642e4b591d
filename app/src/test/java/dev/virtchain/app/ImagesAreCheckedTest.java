package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.CheckRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** This module's tests follow the rule that an image a test writes is judged by qemu-img check too. */
class ImagesAreCheckedTest {
    @Test
    void everyTestThatWritesAnImageAsksQemuImgCheck() {
        assertEquals(List.of(), CheckRule.unchecked(Path.of("src/test/java"), Map.of()),
                "tests that make an image through our code and never ask Qemu.assertClean (or qemu-img check)");
    }
}
