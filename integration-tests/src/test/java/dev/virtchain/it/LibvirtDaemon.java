package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A system libvirtd (plus the virtlogd it sends qemu's output to) that the test starts and stops
 * by hand, reached the way users reach theirs: {@code qemu:///system}.
 *
 * <p>The daemon needs the same qemu.conf as the embedded driver, but this must not rewrite the
 * machine's {@code /etc/libvirt}: libvirtd runs in a private mount namespace ({@code unshare
 * --mount}) where a temporary directory is bind-mounted over {@code /etc/libvirt}. Everything else
 * (sockets under /run/libvirt, state under /var/lib/libvirt) is where libvirt always keeps it, so
 * clients find the daemon normally. A libvirtd that already runs on the machine fails the test.
 */
final class LibvirtDaemon implements AutoCloseable {
    static final String URI = "qemu:///system";
    private static final Path SOCKET = Path.of("/run/libvirt/libvirt-sock");
    private static final Path VIRTLOGD_SOCKET = Path.of("/run/libvirt/virtlogd-sock");
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final Path dir;
    private final Process virtlogd;
    private final Process libvirtd;
    private Hypervisor hv;
    private Domains domains;

    private LibvirtDaemon(Path dir, Process virtlogd, Process libvirtd) {
        this.dir = dir;
        this.virtlogd = virtlogd;
        this.libvirtd = libvirtd;
    }

    /** Starts virtlogd and libvirtd with their files under {@code dir} and connects to qemu:///system. */
    static LibvirtDaemon start(Path dir) throws IOException, InterruptedException {
        HostRequirements.requireTools("libvirtd", "virtlogd", "unshare", "mount", "qemu-system-x86_64", "qemu-img");
        HostRequirements.requireQemuUser();
        if (answers(SOCKET) || answers(VIRTLOGD_SOCKET)) {
            throw new AssertionError("a libvirtd or virtlogd already runs on this machine (" + SOCKET + " or "
                    + VIRTLOGD_SOCKET + " answers); stop it, this test starts its own");
        }
        if (!Files.isDirectory(Path.of("/etc/libvirt"))) {
            throw new AssertionError("/etc/libvirt is missing; " + HostRequirements.INSTALL);
        }
        Path etc = Files.createDirectories(dir.resolve("etc-libvirt"));
        Files.writeString(etc.resolve("qemu.conf"), EmbeddedLibvirt.QEMU_CONF);
        // Root is the only client; its log goes to the test directory instead of the journal.
        Files.writeString(etc.resolve("libvirtd.conf"), "auth_unix_rw = \"none\"\n"
                + "log_outputs = \"3:file:" + dir.resolve("libvirtd.log") + "\"\n");

        Process virtlogd = new ProcessBuilder("virtlogd", "--pid-file", dir.resolve("virtlogd.pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("virtlogd.out").toFile()).start();
        Process libvirtd = null;
        try {
            waitFor(virtlogd, "virtlogd", () -> Files.exists(VIRTLOGD_SOCKET), dir.resolve("virtlogd.out"));
            libvirtd = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--",
                    "sh", "-c", "mount --bind \"$0\" /etc/libvirt && exec libvirtd --pid-file \"$1\"",
                    etc.toString(), dir.resolve("libvirtd.pid").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("libvirtd.out").toFile()).start();
            LibvirtDaemon d = new LibvirtDaemon(dir, virtlogd, libvirtd);
            d.hv = d.connect();
            d.domains = new Domains(d.hv);
            return d;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            stop(libvirtd);
            stop(virtlogd);
            throw e;
        }
    }

    private Hypervisor connect() throws IOException, InterruptedException {
        Hypervisor[] connected = new Hypervisor[1];
        HypervisorException[] last = new HypervisorException[1];
        waitFor(libvirtd, "libvirtd", () -> {
            if (!Files.exists(SOCKET)) {
                return false;
            }
            try {
                connected[0] = Hypervisor.connect(URI);
                return true;
            } catch (HypervisorException e) {
                last[0] = e;
                return false;
            }
        }, dir.resolve("libvirtd.out"));
        return connected[0];
    }

    Hypervisor hypervisor() {
        return hv;
    }

    /** A running test guest with {@code disks} qcow2 disks of {@code size} bytes, kept in {@code dir}. */
    TestGuest startGuest(Path dir, String name, int disks, long size) throws HypervisorException {
        return domains.start(dir, name, disks, size);
    }

    /** Destroys and undefines the test's domains, disconnects, then stops libvirtd and virtlogd. */
    @Override
    public void close() throws HypervisorException, InterruptedException {
        try {
            try {
                domains.tearDown();
            } finally {
                hv.close();
            }
        } finally {
            stop(libvirtd);
            stop(virtlogd);
        }
    }

    private interface Ready {
        boolean now() throws IOException;
    }

    private static void waitFor(Process p, String name, Ready ready, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!ready.now()) {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited " + p.exitValue() + " while starting:\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " not ready after " + STARTUP + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
    }

    /** SIGTERM, then SIGKILL if the daemon has not shut down within 30 s. */
    private static void stop(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
