package dev.virtchain.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.testing.CliDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One test class's guest for {@code virtchain backup} through the CLI: an embedded libvirt root,
 * a {@link TestGuest} domain with ACPI (on machine 'pc' only ACPI PCI hotplug lets a disk be
 * attached live; without it qemu says "Bus 'pci.0' does not support hotplugging"), and backups
 * taken with the domain paused so that each can be compared with the disks as they are.
 *
 * <p>Every CLI run opens an embedded connection of its own: mind the budget of about 15 per JVM
 * (README.md).
 */
final class CliGuest implements AutoCloseable {
    final EmbeddedLibvirt env;
    final Hypervisor hv;
    final String uri;
    final Path vm;
    final TestGuest guest;
    final GuestDisks io;

    /** Raw block-device disks after the qcow2 ones: target to device. */
    final Map<String, Path> blockDisks;

    private CliGuest(EmbeddedLibvirt env, Path vm, TestGuest guest, Map<String, Path> blockDisks) {
        this.blockDisks = Map.copyOf(blockDisks);
        this.env = env;
        this.hv = env.hypervisor();
        this.uri = hv.uri();
        this.vm = vm;
        this.guest = guest;
        this.io = new GuestDisks(hv, guest.name());
    }

    /** Connects to an embedded root under {@code dir} and starts the guest, its disks in {@code dir/vm}. */
    static CliGuest start(Path dir, String name, int disks, long size) throws IOException, HypervisorException {
        return start(dir, name, disks, size, Map.of());
    }

    /**
     * As {@link #start(Path, String, int, long)}, with raw block-device disks after the qcow2
     * ones ({@code blockDisks}: target to device, in target order).
     */
    static CliGuest start(Path dir, String name, int disks, long size, Map<String, Path> blockDisks)
            throws IOException, HypervisorException {
        EmbeddedLibvirt env = EmbeddedLibvirt.start(dir.resolve("libvirt"));
        try {
            Path vm = Files.createDirectories(dir.resolve("vm"));
            TestGuest g = TestGuest.create(vm, name, disks, size);
            StringBuilder block = new StringBuilder();
            new TreeMap<>(blockDisks).forEach((target, dev) -> block.append("    <disk type='block' device='disk'>\n")
                    .append("      <driver name='qemu' type='raw' discard='unmap'/>\n")
                    .append("      <source dev='").append(dev).append("'/>\n")
                    .append("      <target dev='").append(target).append("' bus='virtio'/>\n")
                    .append("    </disk>\n"));
            env.hypervisor().define(g.domainXml()
                    .replace("  <devices>\n", "  <features><acpi/></features>\n  <devices>\n")
                    .replace("    <memballoon", block + "    <memballoon"));
            CliGuest cg = new CliGuest(env, vm, g, blockDisks);
            env.hypervisor().start(name, false);
            return cg;
        } catch (IOException | RuntimeException e) {
            env.close();
            throw e;
        }
    }

    String name() {
        return guest.name();
    }

    /** The source image of disk {@code target}; a disk attached later lives next to the others under this name. */
    Path source(String target) {
        if (blockDisks.containsKey(target)) {
            return blockDisks.get(target);
        }
        return vm.resolve(guest.name() + "-" + target + ".qcow2");
    }

    /** {@code virtchain backup -c URI -d NAME -o OUT --json OPTIONS} as is, the domain left as it is. */
    CliDriver.Result run(Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("backup", "-c", uri, "-d", guest.name(), "-o", out.toString(), "--json"));
        args.addAll(List.of(options));
        return CliDriver.inProcess().run(args.toArray(String[]::new));
    }

    /**
     * A backup that must succeed, taken with the domain paused, and every disk's new chain top
     * compared with its source disk while nothing moves. Returns the --json summary.
     */
    JsonNode backup(Path out, String... options) throws HypervisorException {
        hv.suspend(guest.name());
        try {
            CliDriver.Result r = run(out, options);
            if (r.exitCode() != 0) {
                throw new AssertionError(r.toString());
            }
            JsonNode s = r.json();
            for (JsonNode d : s.get("disks")) {
                BackupDirs.assertSameContent(out, out.resolve(d.get("file").asText()), source(d.get("target").asText()));
            }
            return s;
        } finally {
            hv.resume(guest.name());
        }
    }

    /** Destroys and undefines the domain, then closes the connection. */
    @Override
    public void close() throws HypervisorException {
        try {
            if (hv.isActive(guest.name())) {
                hv.destroy(guest.name());
            }
            hv.undefine(guest.name());
        } finally {
            env.close();
        }
    }
}
