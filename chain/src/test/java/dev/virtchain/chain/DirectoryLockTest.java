package dev.virtchain.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ErrorKind;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLockTest {
    @TempDir
    Path dir;
    private Process child;

    /** Starts {@link LockHolder} in a child JVM and waits until it holds the lock. */
    private Process holdInChild() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                dir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", out.readLine(), "the child JVM took the lock");
        return child;
    }

    @AfterEach
    void stopChild() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSecondRunFailsAtOnceNamingTheDirectory() throws Exception {
        Process holder = holdInChild();
        long start = System.nanoTime();
        ChainException e = assertThrows(ChainException.class, () -> DirectoryLock.acquire(dir));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "no waiting");
        assertEquals("backup directory " + dir + " is in use by another virtchain run (pid " + holder.pid() + "): "
                + dir.resolve(".lock") + " is locked; wait for it to finish", e.getMessage());
        assertEquals(ErrorKind.CONFLICT, e.kind());
        holder.getOutputStream().close(); // the holder finishes and unlocks
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, holder.exitValue());
        DirectoryLock.acquire(dir).close();
    }

    @Test
    void aRunThatDiesLeavesTheDirectoryUnlocked() throws Exception {
        Process holder = holdInChild();
        holder.destroyForcibly();
        assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        try (DirectoryLock lock = DirectoryLock.acquire(dir)) {
            assertThrows(ChainException.class, () -> DirectoryLock.acquire(dir), "held again, now by us");
        }
    }

    @Test
    void aSecondLockInTheSameJvmFailsTooAndCloseReleases() throws Exception {
        DirectoryLock first = DirectoryLock.acquire(dir);
        ChainException e = assertThrows(ChainException.class, () -> DirectoryLock.acquire(dir));
        assertTrue(e.getMessage().startsWith("backup directory " + dir + " is in use by another virtchain run"),
                e.getMessage());
        first.close();
        DirectoryLock.acquire(dir).close();
    }
}
