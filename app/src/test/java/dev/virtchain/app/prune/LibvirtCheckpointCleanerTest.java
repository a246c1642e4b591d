package dev.virtchain.app.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtchain.app.libvirt.Hypervisor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The saved checkpoint XML a prune leaves: a deleted checkpoint's children name its parent, as in
 * libvirt. Found by PruneYearIT: after a prune of an undefined domain, the domain defined again
 * could not get its kept checkpoints redefined ("parent ... for moment ... not found"), and the
 * next inc failed asking for a full. On libvirt's test driver, whose domain {@code test} has no
 * checkpoints, so only the saved XML is at stake.
 */
class LibvirtCheckpointCleanerTest {
    @TempDir
    Path dir;

    /** A checkpoint's XML as virDomainCheckpointGetXMLDesc gives it (shortened). */
    static String xml(String name, String parent) {
        return "<domaincheckpoint>\n  <name>" + name + "</name>\n"
                + (parent == null ? "" : "  <parent>\n    <name>" + parent + "</name>\n  </parent>\n")
                + "  <creationTime>1764979200</creationTime>\n  <disks>\n"
                + "    <disk name='vda' checkpoint='bitmap' bitmap='" + name + "'/>\n  </disks>\n"
                + "</domaincheckpoint>\n";
    }

    private void save(String name, String parent) throws Exception {
        Files.createDirectories(dir.resolve("checkpoints"));
        Files.writeString(dir.resolve("checkpoints/" + name + ".xml"), xml(name, parent));
    }

    private String saved(String name) throws Exception {
        return Files.readString(dir.resolve("checkpoints/" + name + ".xml"));
    }

    @Test
    void theChildrenOfADeletedCheckpointNameItsParentInTheirSavedXml() throws Exception {
        save("virtchain.0a0b0c0d.0000", null);
        save("virtchain.0a0b0c0d.0001", "virtchain.0a0b0c0d.0000");
        save("virtchain.0a0b0c0d.0002", "virtchain.0a0b0c0d.0001");
        save("virtchain.0a0b0c0d.0003", "virtchain.0a0b0c0d.0002");
        try (Hypervisor hv = Hypervisor.connect("test:///default")) {
            LibvirtCheckpointCleaner cleaner = new LibvirtCheckpointCleaner(hv, "test", dir);
            cleaner.delete("virtchain.0a0b0c0d.0001");
            assertFalse(Files.exists(dir.resolve("checkpoints/virtchain.0a0b0c0d.0001.xml")));
            assertEquals(xml("virtchain.0a0b0c0d.0002", "virtchain.0a0b0c0d.0000"), saved("virtchain.0a0b0c0d.0002"));
            assertEquals(xml("virtchain.0a0b0c0d.0003", "virtchain.0a0b0c0d.0002"), saved("virtchain.0a0b0c0d.0003"));
            assertEquals(xml("virtchain.0a0b0c0d.0000", null), saved("virtchain.0a0b0c0d.0000"));

            cleaner.delete("virtchain.0a0b0c0d.0000");
            assertEquals(xml("virtchain.0a0b0c0d.0002", null), saved("virtchain.0a0b0c0d.0002"),
                    "the child of a root loses its parent");
            cleaner.delete("virtchain.0a0b0c0d.0000"); // again, as after a crash: nothing left to change
            assertEquals(xml("virtchain.0a0b0c0d.0002", null), saved("virtchain.0a0b0c0d.0002"));
            assertEquals(xml("virtchain.0a0b0c0d.0003", "virtchain.0a0b0c0d.0002"), saved("virtchain.0a0b0c0d.0003"));
            try (var s = Files.list(dir.resolve("checkpoints"))) {
                assertEquals(2, s.count(), "no temporary file left");
            }
        }
    }

    @Test
    void anUnreachableDomainLeavesTheSavedXmlAlone() throws Exception {
        save("virtchain.0a0b0c0d.0000", null);
        save("virtchain.0a0b0c0d.0001", "virtchain.0a0b0c0d.0000");
        try (Hypervisor hv = Hypervisor.connect("test:///default")) {
            assertThrows(CheckpointCleaner.Unreachable.class,
                    () -> new LibvirtCheckpointCleaner(hv, "no-such-domain", dir).delete("virtchain.0a0b0c0d.0000"));
        }
        assertEquals(xml("virtchain.0a0b0c0d.0000", null), saved("virtchain.0a0b0c0d.0000"));
        assertEquals(xml("virtchain.0a0b0c0d.0001", "virtchain.0a0b0c0d.0000"), saved("virtchain.0a0b0c0d.0001"));
    }

    @Test
    void parentOfReadsTheParentsName() {
        assertEquals("virtchain.0a0b0c0d.0004", LibvirtCheckpointCleaner.parentOf(xml("x", "virtchain.0a0b0c0d.0004")));
        assertNull(LibvirtCheckpointCleaner.parentOf(xml("x", null)));
    }
}
