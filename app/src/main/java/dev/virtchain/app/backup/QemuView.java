package dev.virtchain.app.backup;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Whether the domain's qemu sees the backup directory as we do. libvirt starts qemu in a mount
 * namespace of its own (qemu.conf {@code namespaces}, on by default), a copy of the host's mounts
 * as they were when the domain started; a file system mounted later reaches it only when the
 * host's mount is shared. Push mode has qemu open the targets by their paths, so a backup into such
 * a file system fails inside qemu with "Could not open '...partial': No such file or directory".
 * This finds it before the job: qemu's process (found in {@code /proc} by the {@code -uuid}
 * libvirt puts on its command line; none for a remote libvirt, then nothing is checked) must see
 * the directory through {@code /proc/PID/root} as the same directory (device and inode) we see.
 */
final class QemuView {
    private final Path proc;

    /** Checks against {@code proc}: {@code /proc}, or a test's fake of it. */
    QemuView(Path proc) {
        this.proc = proc;
    }

    /**
     * Fails with one line saying why and what to do when the qemu of the domain with {@code uuid}
     * runs on this host and does not see {@code dir} as we do.
     */
    void check(String domain, String uuid, Path dir) throws BackupException {
        Long pid = qemuPid(uuid);
        if (pid == null) {
            return;
        }
        Path abs = dir.toAbsolutePath().normalize();
        Path root = proc.resolve(Long.toString(pid)).resolve("root");
        Object ours = identity(abs);
        if (ours == null || identity(root) == null) {
            return; // nothing to compare, or not ours to look into (qemu runs as another user)
        }
        if (Objects.equals(ours, identity(root.resolve(abs.toString().substring(1))))) {
            return;
        }
        throw new BackupException(ErrorKind.CONFLICT, "domain " + domain + ": its qemu (pid " + pid
                + ") does not see " + abs + " as virtchain does: it runs in a mount namespace of its own, made when the"
                + " domain started, and " + abs + " is on a file system mounted after that; mount it before starting"
                + " the domain, make the host's mounts shared (mount --make-rshared /) before starting it, or set"
                + " namespaces = [] in qemu.conf");
    }

    /** The pid of the qemu process whose command line carries {@code -uuid UUID}, or null. */
    Long qemuPid(String uuid) {
        byte[] needle = ("-uuid\0" + uuid + "\0").getBytes(StandardCharsets.UTF_8);
        try (DirectoryStream<Path> all = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : all) {
                try {
                    if (indexOf(Files.readAllBytes(p.resolve("cmdline")), needle) >= 0) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (IOException | SecurityException e) {
                    // gone meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** A directory's device and inode, or null when it cannot be reached. */
    private static Object identity(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino");
            return a.get("dev") + ":" + a.get("ino");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
