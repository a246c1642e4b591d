package dev.virtchain.it;

import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A guest without an operating system: a TCG domain (type 'qemu', no KVM) whose firmware finds
 * nothing to boot and just sits, with small qcow2 disks on virtio, discard passed through. Tests
 * write into its disks from outside through HMP qemu-io ({@link GuestDisks}).
 *
 * @param name   the domain name
 * @param disks  the disk images, vda first
 * @param size   every disk's virtual size in bytes
 */
record TestGuest(String name, List<Path> disks, long size) {

    /** Creates {@code count} empty qcow2 disks of {@code size} bytes in {@code dir} with qemu-img. */
    static TestGuest create(Path dir, String name, int count, long size) {
        List<Path> disks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path disk = dir.resolve(name + "-" + target(i) + ".qcow2");
            Qemu.img(dir, "create", "-q", "-f", "qcow2", disk.toString(), Long.toString(size));
            disks.add(disk);
        }
        return new TestGuest(name, List.copyOf(disks), size);
    }

    /** The guest's disk target names: vda, vdb, ... */
    List<String> targets() {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            t.add(target(i));
        }
        return t;
    }

    Path disk(String target) {
        return disks.get(targets().indexOf(target));
    }

    private static String target(int index) {
        return "vd" + (char) ('a' + index);
    }

    String domainXml() {
        StringBuilder x = new StringBuilder();
        x.append("<domain type='qemu'>\n")
                .append("  <name>").append(name).append("</name>\n")
                .append("  <memory unit='MiB'>64</memory>\n")
                .append("  <vcpu>1</vcpu>\n")
                .append("  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n")
                .append("  <on_reboot>destroy</on_reboot>\n")
                .append("  <devices>\n");
        List<String> targets = targets();
        for (int i = 0; i < disks.size(); i++) {
            x.append("    <disk type='file' device='disk'>\n")
                    .append("      <driver name='qemu' type='qcow2' discard='unmap'/>\n")
                    .append("      <source file='").append(disks.get(i)).append("'/>\n")
                    .append("      <target dev='").append(targets.get(i)).append("' bus='virtio'/>\n")
                    .append("    </disk>\n");
        }
        x.append("    <memballoon model='none'/>\n")
                .append("  </devices>\n")
                .append("</domain>\n");
        return x.toString();
    }
}
