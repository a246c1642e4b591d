package dev.virtchain.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ErrorKind;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers lock: shared among readers, exclusive for a prune, across processes and within one JVM. */
class ReadersLockTest {
    @TempDir
    Path dir;
    private final List<Process> children = new ArrayList<>();

    /** Starts {@link ReadersLockHolder} in a child JVM and waits until it holds the lock. */
    private Process holdInChild(String how) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ReadersLockHolder.class.getName(), dir.toString(), how).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        children.add(child);
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", out.readLine(), "the child JVM took the lock " + how);
        return child;
    }

    @AfterEach
    void stopChildren() throws Exception {
        for (Process c : children) {
            c.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void readersShareItAndKeepAPruneOutUntilTheLastOneEnds() throws Exception {
        Process a = holdInChild("shared");
        Process b = holdInChild("shared"); // a second reader beside the first
        try (ReadersLock c = ReadersLock.shared(dir)) {
            assertTrue(ReadersLock.tryExclusive(dir).isEmpty(), "a prune waits for the readers");
        }
        List<Long> pids = ReadersLock.holders(dir).stream().map(ReadersLock.Holder::pid).sorted().toList();
        assertEquals(List.of(a.pid(), b.pid()).stream().sorted().toList(), pids, "/proc/locks names both readers");
        a.getOutputStream().close();
        assertTrue(a.waitFor(30, TimeUnit.SECONDS));
        assertTrue(ReadersLock.tryExclusive(dir).isEmpty(), "one reader is still there");
        b.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // a reader that dies lets go too
        Optional<ReadersLock> prune = ReadersLock.tryExclusive(dir);
        assertTrue(prune.isPresent());
        prune.get().close();
    }

    @Test
    void aReaderFailsAtOnceWhileAPruneHoldsItNamingThePrune() throws Exception {
        Process prune = holdInChild("exclusive");
        long start = System.nanoTime();
        ChainException e = assertThrows(ChainException.class, () -> ReadersLock.shared(dir));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "no waiting");
        assertEquals(ErrorKind.CONFLICT, e.kind());
        assertEquals("backup directory " + dir + " is being pruned by pid " + prune.pid() + ": "
                + dir.resolve(".readers.lock") + " is locked; wait for the prune to finish and run this again",
                e.getMessage());
        prune.getOutputStream().close();
        assertTrue(prune.waitFor(30, TimeUnit.SECONDS));
        ReadersLock.shared(dir).close();
    }

    @Test
    void withinOneJvmReadersShareOneLockAndAPruneIsKeptOutUntilTheLastCloses() throws Exception {
        ReadersLock a = ReadersLock.shared(dir);
        ReadersLock b = ReadersLock.shared(dir);
        assertTrue(ReadersLock.tryExclusive(dir).isEmpty());
        a.close();
        a.close(); // twice is once
        assertTrue(ReadersLock.tryExclusive(dir).isEmpty(), "b still reads");
        b.close();
        try (ReadersLock prune = ReadersLock.tryExclusive(dir).orElseThrow()) {
            assertThrows(ChainException.class, () -> ReadersLock.shared(dir));
            assertTrue(ReadersLock.tryExclusive(dir).isEmpty(), "one prune at a time");
        }
        ReadersLock.shared(dir).close();
    }

    @Test
    void aReaderOfADirectoryThatIsNotThereTakesNoLockAndLeavesTheErrorToTheCommand() throws Exception {
        ReadersLock.shared(dir.resolve("missing")).close();
    }
}
