package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;

/** qemu-img judging backups against the guest's disks. */
final class DiskChecks {
    private DiskChecks() {
    }

    /**
     * A copy of the guest's disk as it is now. The guest is paused for it: stopping the vCPUs drains
     * and flushes qemu's block layer, so the file on disk is the disk's true content.
     */
    static Path snapshot(Hypervisor hv, Path dir, TestGuest g, String target, String label) throws HypervisorException {
        Path copy = dir.resolve(g.name() + "-" + target + "-" + label + ".qcow2");
        hv.suspend(g.name());
        try {
            Qemu.img(dir, "convert", "-U", "-O", "qcow2", g.disk(target).toString(), copy.toString());
        } finally {
            hv.resume(g.name());
        }
        return copy;
    }

    /** qemu-img compare reads both (through any backing chain) and finds them equal. */
    static void assertIdentical(Path dir, Path backup, Path copy) {
        String out = Qemu.img(dir, "compare", backup.toString(), copy.toString());
        assertEquals("Images are identical.", out.strip(), backup + " vs " + copy);
    }

    /** Bytes qemu-img map reports at depth 0, i.e. stored in the image itself rather than its backing. */
    static long allocatedInTop(String mapJson) {
        long sum = 0;
        for (String line : mapJson.split("\n")) {
            if (line.contains("\"depth\": 0") && line.contains("\"present\": true")) {
                sum += Long.parseLong(line.replaceAll(".*\"length\": (\\d+).*", "$1"));
            }
        }
        return sum;
    }
}
