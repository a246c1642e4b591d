package dev.virtchain.qcow2.read;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images the fuzzer broke us with, kept under src/test/resources/regressions and named after what they reproduce. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HostileRegressionTest {
    @TempDir
    Path dir;

    private Path regression(String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = HostileRegressionTest.class.getResourceAsStream("/regressions/" + name)) {
            Files.copy(in, file);
        }
        return file;
    }

    /**
     * qemu-img bitmaps seed, L2 entry 18 set to all ones: a compressed entry whose value is -1,
     * the compressed-cluster cache's "empty" marker, so the empty cache was used (NullPointerException).
     */
    @Test
    void an_l2_entry_of_all_ones_is_a_compressed_cluster_not_the_empty_cache_marker() throws IOException {
        Path file = regression("l2-entry-of-all-ones-hits-the-compressed-cache-sentinel.qcow2");
        Rejections.rejects(file, "compressed cluster for guest offset 0x12000 at 0x3ffffffffffffff lies past end of"
                + " file (0xf040)");
    }
}
