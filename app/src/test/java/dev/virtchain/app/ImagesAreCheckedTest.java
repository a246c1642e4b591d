package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.CheckRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** This module's tests follow the rule that an image a test writes is judged by qemu-img check too. */
class ImagesAreCheckedTest {
    /** Tests that run a command which makes no image, each with the reason. */
    private static final Map<String, String> EXEMPT = Map.of(
            "HostCommandsTest#severalDomainsNeedAllOrDomainsAndNotBoth",
            "usage errors (exit 2, asserted by usage()): nothing runs",
            "HostCommandsTest#aDomainWithoutARootIsAUsageError",
            "a usage error (exit 2, asserted by usage()) before any backup",
            "HostCommandsTest#excludedAndUnmatchedDomains",
            "no domain to back up: every domain excluded, or a glob that matches none");

    @Test
    void everyTestThatWritesAnImageAsksQemuImgCheck() {
        assertEquals(List.of(), CheckRule.unchecked(Path.of("src/test/java"), EXEMPT),
                "tests that make an image through our code and never ask Qemu.assertClean (or qemu-img check)");
    }
}
