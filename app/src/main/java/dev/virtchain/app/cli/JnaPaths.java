package dev.virtchain.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells JNA where the system's libraries are before it looks for them. Asked for a library by its
 * plain name ({@code virt}, as libvirt-java asks; {@code c}), JNA tries {@code libvirt.so}, which
 * only a development package installs, and then searches the directories of
 * {@code jna.platform.library.path} for a versioned file. Unless that property is set, JNA fills it
 * the first time it loads any library by starting {@code /sbin/ldconfig -p} and reading its output:
 * a process start in every command that touches libvirt or a native file call (about 20 ms, beside
 * the work a backup does while it connects). Here the property is set to the usual library
 * directories of this machine, but only when libvirt's library is in one of them; elsewhere JNA
 * asks ldconfig as before.
 */
public final class JnaPaths {
    private static final String PROPERTY = "jna.platform.library.path";

    private JnaPaths() {
    }

    /** Sets the property when it is unset and libvirt's library lies in one of the usual directories. */
    public static void setIfKnown() {
        if (System.getProperty(PROPERTY) != null || !System.getProperty("os.name", "").equals("Linux")) {
            return;
        }
        String triplet = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            case "ppc64le" -> "powerpc64le-linux-gnu";
            case "s390x" -> "s390x-linux-gnu";
            default -> null;
        };
        List<String> dirs = new ArrayList<>();
        if (triplet != null) {
            dirs.add("/usr/lib/" + triplet);
            dirs.add("/lib/" + triplet);
        }
        dirs.addAll(List.of("/usr/lib64", "/lib64", "/usr/lib", "/lib"));
        dirs.removeIf(d -> !Files.isDirectory(Path.of(d)));
        if (dirs.stream().anyMatch(d -> Files.exists(Path.of(d, "libvirt.so.0")))) {
            System.setProperty(PROPERTY, String.join(java.io.File.pathSeparator, dirs));
        }
    }
}
