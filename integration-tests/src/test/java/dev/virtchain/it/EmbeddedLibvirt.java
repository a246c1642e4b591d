package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * libvirt's embedded qemu driver ({@code qemu:///embed?root=DIR}) inside the test JVM: no daemon,
 * all state under one temporary root. Connect, start guests, and {@link #close} destroys and
 * undefines them and closes the connection. Missing libvirt or qemu fails the test, it never skips.
 *
 * <p>Keep this connection open while a backup job runs: the embedded driver lives and dies with it.
 * One process can hold one embedded root at a time.
 */
final class EmbeddedLibvirt implements AutoCloseable {
    /** As root without the libvirt-qemu user's chowns and labels: qemu runs as root and touches nothing. */
    static final String QEMU_CONF = """
            user = "root"
            group = "root"
            dynamic_ownership = 0
            security_driver = "none"
            """;
    /** The embedded driver otherwise sends qemu's stdio to virtlogd, which it does not start. */
    static final String NO_VIRTLOGD = "stdio_handler = \"file\"\n";

    private final Path root;
    private final Hypervisor hv;
    private final Domains domains;

    private EmbeddedLibvirt(Path root, Hypervisor hv) {
        this.root = root;
        this.hv = hv;
        this.domains = new Domains(hv);
    }

    /** Writes {@code ROOT/etc/qemu.conf} and connects to the embedded driver rooted at {@code root}. */
    static EmbeddedLibvirt start(Path root) throws IOException {
        return start(root, QEMU_CONF);
    }

    /** As {@link #start(Path)}, with {@code qemuConf} (and {@link #NO_VIRTLOGD}) as its qemu.conf. */
    static EmbeddedLibvirt start(Path root, String qemuConf) throws IOException {
        HostRequirements.requireTools("qemu-system-x86_64", "qemu-img");
        HostRequirements.requireQemuUser();
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/qemu.conf"), qemuConf + NO_VIRTLOGD);
        String uri = "qemu:///embed?root=" + root.toAbsolutePath();
        try {
            return new EmbeddedLibvirt(root, Hypervisor.connect(uri));
        } catch (HypervisorException e) {
            throw new AssertionError(e.getMessage() + "; the libvirt tests need: " + HostRequirements.INSTALL, e);
        }
    }

    Hypervisor hypervisor() {
        return hv;
    }

    Path root() {
        return root;
    }

    /** A running test guest with {@code disks} qcow2 disks of {@code size} bytes, kept in {@code dir}. */
    TestGuest startGuest(Path dir, String name, int disks, long size) throws HypervisorException {
        return domains.start(dir, name, disks, size);
    }

    /** Destroys and undefines the guests started so far, keeping the connection. */
    void stopGuests() throws HypervisorException {
        domains.tearDown();
    }

    @Override
    public void close() throws HypervisorException {
        try {
            domains.tearDown();
        } finally {
            hv.close();
        }
    }
}
