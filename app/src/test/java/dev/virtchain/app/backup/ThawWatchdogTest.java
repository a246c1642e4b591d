package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thaw watchdog's protocol, as real processes, against libvirt's test driver
 * ({@code test:///default}, whose domain "test" answers freeze and thaw without a guest).
 * GuestFreezeIT proves the thaw on a real guest agent after a SIGKILL.
 */
class ThawWatchdogTest {
    static final String URI = "test:///default";

    @Test
    void aDisarmedWatchdogEndsWithoutThawing(@TempDir Path dir) throws Exception {
        Path err = dir.resolve("err");
        ThawWatchdog w = ThawWatchdog.start(URI, "test", Duration.ofSeconds(60), ProcessBuilder.Redirect.to(err.toFile()));
        assertFalse(w.disarm(), "it did not thaw at a deadline");
        assertTrue(w.awaitEnd(10));
        assertEquals("", Files.readString(err));
    }

    @Test
    void aPipeClosedWithoutThawedMakesItThawAndSaySo(@TempDir Path dir) throws Exception {
        Path err = dir.resolve("err");
        ThawWatchdog w = ThawWatchdog.start(URI, "test", Duration.ofSeconds(60), ProcessBuilder.Redirect.to(err.toFile()));
        w.close(); // what the kernel does when the backup dies
        assertTrue(w.awaitEnd(60), "the watchdog still runs");
        assertEquals("virtchain: the backup of test ended while the guest was frozen; the thaw watchdog thawed its"
                + " filesystems\n", Files.readString(err));
    }

    @Test
    void aFreezeThatOutlastsTheDeadlineIsThawedAndTheBackupToldSo(@TempDir Path dir) throws Exception {
        Path err = dir.resolve("err");
        ThawWatchdog w = ThawWatchdog.start(URI, "test", Duration.ofSeconds(1), ProcessBuilder.Redirect.to(err.toFile()));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Files.size(err) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(w.disarm(), "it says it thawed at its deadline");
        assertTrue(w.awaitEnd(10));
        assertEquals("virtchain: the guest test stayed frozen for 1 s; the thaw watchdog thawed its filesystems\n",
                Files.readString(err));
    }
}
