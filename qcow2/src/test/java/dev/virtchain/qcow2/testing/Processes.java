package dev.virtchain.qcow2.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool for a test and returns what it printed, or fails the test when it does not finish
 * in time. Output goes to temporary files, not pipes read one after the other: a tool that
 * hangs (qemu-img check has looped on a broken image) meets the timeout instead of blocking the
 * test forever, and one that fills its error pipe cannot stall waiting for it to be read.
 */
public final class Processes {
    private Processes() {
    }

    /** What a finished command printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** As {@link #run(Path, Duration, String, List, Map)} in the test's own environment. */
    public static Result run(Path dir, Duration timeout, String install, List<String> cmd) {
        return run(dir, timeout, install, cmd, Map.of());
    }

    /**
     * Runs {@code cmd} in {@code dir}, its environment the test's plus {@code env}, with nothing
     * on its standard input.
     *
     * @param install how to get the tool, for the message when it cannot be started
     */
    public static Result run(Path dir, Duration timeout, String install, List<String> cmd, Map<String, String> env) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("cmd-out", ".txt");
            err = Files.createTempFile("cmd-err", ".txt");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(env);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new AssertionError(cmd.get(0) + " cannot run (" + e.getMessage() + "); " + install, e);
            }
            p.getOutputStream().close();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd.get(0) + " did not finish within " + timeout.toSeconds() + " s: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("running " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            if (f != null) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // a temporary file left in /tmp
        }
    }
}
