package dev.virtchain.app.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JnaPathsTest {
    @Test
    void theSearchPathNamesTheDirectoryOfLibvirtsLibrary() {
        // The test machine has libvirt (scripts/test installs it), in one of the usual directories.
        JnaPaths.setIfKnown();
        String path = System.getProperty("jna.platform.library.path");
        assertNotNull(path, "set: libvirt.so.0 is in a usual directory here");
        assertTrue(Arrays.stream(path.split(":")).anyMatch(d -> Files.exists(Path.of(d, "libvirt.so.0"))), path);
    }
}
