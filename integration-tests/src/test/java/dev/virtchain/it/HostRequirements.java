package dev.virtchain.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the libvirt tests need from the machine. A missing piece fails the test with the command
 * that installs it; nothing here ever skips.
 */
final class HostRequirements {
    static final String INSTALL = "apt-get update && apt-get install -y "
            + "qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-utils";

    private HostRequirements() {
    }

    /** Fails unless every tool is an executable on PATH or in /usr/sbin. */
    static void requireTools(String... tools) {
        requireToolsFor("the libvirt tests", INSTALL, tools);
    }

    /** Fails unless every tool is on PATH or in /usr/sbin, naming {@code who} needs it and how to install it. */
    static void requireToolsFor(String who, String install, String... tools) {
        for (String tool : tools) {
            if (which(tool) == null) {
                throw new AssertionError(tool + " not found; " + who + " need it: " + install);
            }
        }
    }

    static Path which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * libvirt 9.0's qemu driver, running as root, looks up its built-in default user
     * {@code libvirt-qemu} before it reads qemu.conf, and gives up when that user does not exist
     * ("Failed to parse user 'libvirt-qemu'"), whatever qemu.conf says. Debian creates the user in
     * libvirt-daemon-system, a package we do not install because it starts system daemons; so we
     * create the same system user here, once, the way that package's postinst does.
     */
    static void requireQemuUser() {
        if (run("getent", "passwd", "libvirt-qemu") == 0) {
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("user libvirt-qemu does not exist and only root can create it; "
                    + "run: useradd --system --user-group --no-create-home libvirt-qemu");
        }
        int rc = run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", "/usr/sbin/nologin", "libvirt-qemu");
        if (rc != 0 && run("getent", "passwd", "libvirt-qemu") != 0) {
            throw new AssertionError("cannot create user libvirt-qemu (useradd exited " + rc + ")");
        }
    }

    /** Runs a command with inherited output and returns its exit code (127 if it cannot start). */
    static int run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(1, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " timed out");
            }
            return p.exitValue();
        } catch (IOException e) {
            return 127;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
