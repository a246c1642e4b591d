package dev.virtchain.app.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.LongByReference;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The libvirt and qemu this host has, for {@code --version}, found without a connection to
 * any hypervisor: libvirt's library version from {@code virGetVersion}, qemu's from
 * {@code qemu-system-<arch> --version} on the PATH. Empty when not found; never throws.
 */
public final class HostVersions {
    private HostVersions() {
    }

    /** Only virGetVersion, loaded on its own so a host without libvirt.so gets an empty answer. */
    private interface VersionCall extends Library {
        int virGetVersion(LongByReference libVer, String type, LongByReference typeVer);
    }

    /** libvirt's version as major.minor.release, e.g. "9.0.0". */
    public static Optional<String> libvirt() {
        try {
            LongByReference version = new LongByReference();
            if (Native.load("virt", VersionCall.class).virGetVersion(version, null, null) != 0) {
                return Optional.empty();
            }
            long v = version.getValue(); // major * 1,000,000 + minor * 1,000 + release
            return Optional.of(v / 1_000_000 + "." + v / 1_000 % 1_000 + "." + v % 1_000);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The first line of {@code qemu-system-<arch> --version} without its "QEMU emulator version ". */
    public static Optional<String> qemu() {
        Optional<File> binary = onPath("qemu-system-" + qemuArch());
        if (binary.isEmpty()) {
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder(binary.get().getPath(), "--version").redirectErrorStream(true).start();
            String first;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                first = r.readLine();
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            if (p.exitValue() != 0 || first == null) {
                return Optional.empty();
            }
            return Optional.of(first.replaceFirst("^QEMU emulator version ", "").strip());
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String qemuArch() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> arch;
        };
    }

    private static Optional<File> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir.isEmpty() ? "." : dir, name);
            if (f.isFile() && f.canExecute()) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
