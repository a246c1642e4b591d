package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flatten and commit killed with SIGKILL at moments spread over their run: no file under a
 * final name is ever half written, and no image is left with corruptions (leaks are allowed).
 */
class KillIT {
    private static final int KILLS = 8;

    @TempDir
    Path dir;

    /** base (256 MiB of data) <- top (a tenth of it rewritten, some zeroed). */
    @BeforeEach
    void chain() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "512M");
        Qemu.io(dir, "-c", "write -P 0x5a 0 256M", "base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(dir, "-c", "write -P 0xa5 8M 24M", "-c", "write -z 100M 4M", "-c", "write -P 0x77 300M 4M",
                "top.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "top.qcow2", "expected.qcow2");
    }

    private CliProcess start(String... args) throws IOException {
        return CliDriver.jar().in(dir).start(dir.resolve("logs"), "run", args);
    }

    /** How long a whole run takes, so the kills can be spread over it. */
    private long timeOfOneRun(String... args) throws Exception {
        long t0 = System.nanoTime();
        start(args).assertOk();
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Starts a run and kills it (SIGKILL) after {@code delayMs}; true when it was still running then. */
    private boolean killAfter(long delayMs, String... args) throws Exception {
        CliProcess p = start(args);
        Thread.sleep(delayMs);
        boolean running = p.alive();
        p.kill();
        return running;
    }

    @Test
    void aKilledFlattenLeavesEitherNothingOrACompleteImageUnderTheFinalName() throws Exception {
        long full = timeOfOneRun("img", "flatten", "top.qcow2", "timed.qcow2");
        Qemu.assertClean(dir.resolve("timed.qcow2"));
        int interrupted = 0;
        for (int i = 0; i < KILLS; i++) {
            long delay = full * (i + 1) / (KILLS + 1);
            if (killAfter(delay, "img", "flatten", "top.qcow2", "out.qcow2")) {
                interrupted++;
            }
            if (Files.exists(dir.resolve("out.qcow2"))) {
                assertTrue(Qemu.img(dir, "compare", "expected.qcow2", "out.qcow2").contains("Images are identical."),
                        "an image under the final name is complete (kill after " + delay + " ms)");
                Qemu.assertClean(dir.resolve("out.qcow2")); // complete: not even a leak
                Files.delete(dir.resolve("out.qcow2"));
            }
            // What a killed run leaves is a hidden .partial file, never the final name; clean up for the next run.
            try (var files = Files.list(dir)) {
                for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".partial")).toList()) {
                    assertTrue(p.getFileName().toString().startsWith(".out.qcow2."), p.toString());
                    Files.delete(p);
                }
            }
        }
        assertTrue(interrupted >= KILLS / 2, "most kills landed while flatten ran (" + interrupted + " of " + KILLS
                + ", a run takes " + full + " ms)");
    }

    @Test
    void aKilledCommitNeverCorruptsTheBackingFileNorChangesWhatTheOverlayShows() throws Exception {
        Path pristine = Files.createDirectory(dir.resolve("pristine"));
        Files.copy(dir.resolve("base.qcow2"), pristine.resolve("base.qcow2"));
        Files.copy(dir.resolve("top.qcow2"), pristine.resolve("top.qcow2"));
        long full = timeOfOneRun("img", "commit", "top.qcow2");
        Qemu.assertClean(dir.resolve("base.qcow2"));
        Qemu.assertClean(dir.resolve("top.qcow2"));
        int interrupted = 0;
        for (int i = 0; i < KILLS; i++) {
            for (String f : new String[] {"base.qcow2", "top.qcow2"}) {
                Files.copy(pristine.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            long delay = full * (i + 1) / (KILLS + 1);
            boolean killed = killAfter(delay, "img", "commit", "top.qcow2");
            if (killed) {
                interrupted++;
            }
            for (String f : new String[] {"base.qcow2", "top.qcow2"}) {
                if (killed) {
                    Qemu.assertNoCorruption(dir.resolve(f)); // killed mid-write: leaks allowed
                } else {
                    Qemu.assertClean(dir.resolve(f));
                }
            }
            assertTrue(Qemu.img(dir, "compare", "expected.qcow2", "top.qcow2").contains("Images are identical."),
                    "the overlay shows the same guest content after a kill at " + delay + " ms");
        }
        assertTrue(interrupted >= KILLS / 2, "most kills landed while commit ran (" + interrupted + " of " + KILLS
                + ", a run takes " + full + " ms)");
    }
}
