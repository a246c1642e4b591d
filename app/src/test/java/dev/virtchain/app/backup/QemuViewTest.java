package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QemuView} on a fake {@code /proc}: a qemu whose root ({@code /proc/PID/root}) is the
 * real root sees the directory as we do; one whose root is an empty directory (its mount
 * namespace lacks the file system) does not. MountNamespaceIT produces the real case with the
 * embedded driver and a tmpfs mounted after the domain started.
 */
class QemuViewTest {
    static final String UUID = "0c6a3e3e-1111-2222-3333-444455556666";

    private static Path fakeProc(Path dir, Path root) throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path other = Files.createDirectories(proc.resolve("77"));
        Files.write(other.resolve("cmdline"), "/bin/sh\0-c\0true\0".getBytes(StandardCharsets.UTF_8));
        Path qemu = Files.createDirectories(proc.resolve("4242"));
        Files.write(qemu.resolve("cmdline"), ("/usr/bin/qemu-system-x86_64\0-name\0guest=vm1\0-uuid\0" + UUID
                + "\0-no-user-config\0").getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(qemu.resolve("root"), root);
        Files.createDirectories(proc.resolve("self"));
        return proc;
    }

    @Test
    void aQemuThatSeesTheDirectoryAsWeDoPasses(@TempDir Path dir) throws Exception {
        QemuView v = new QemuView(fakeProc(dir, Path.of("/")));
        assertEquals(4242L, v.qemuPid(UUID));
        Path backup = Files.createDirectories(dir.resolve("backup"));
        assertDoesNotThrow(() -> v.check("vm1", UUID, backup));
    }

    @Test
    void aQemuInAMountNamespaceWithoutTheFileSystemFailsSayingWhyAndWhatToDo(@TempDir Path dir) throws Exception {
        Path emptyRoot = Files.createDirectories(dir.resolve("qemu-root"));
        QemuView v = new QemuView(fakeProc(dir, emptyRoot));
        Path backup = Files.createDirectories(dir.resolve("backup"));
        BackupException e = assertThrows(BackupException.class, () -> v.check("vm1", UUID, backup));
        assertEquals("domain vm1: its qemu (pid 4242) does not see " + backup + " as virtchain does: it runs in a"
                + " mount namespace of its own, made when the domain started, and " + backup + " is on a file system"
                + " mounted after that; mount it before starting the domain, make the host's mounts shared (mount"
                + " --make-rshared /) before starting it, or set namespaces = [] in qemu.conf", e.getMessage());
    }

    @Test
    void noQemuOnThisHostChecksNothing(@TempDir Path dir) throws Exception {
        QemuView v = new QemuView(fakeProc(dir, Path.of("/")));
        assertNull(v.qemuPid("ffffffff-1111-2222-3333-444455556666"));
        assertDoesNotThrow(() -> v.check("vm2", "ffffffff-1111-2222-3333-444455556666", dir.resolve("nowhere")));
    }
}
