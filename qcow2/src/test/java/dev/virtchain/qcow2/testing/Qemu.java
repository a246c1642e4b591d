package dev.virtchain.qcow2.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs qemu-img and qemu-io, the test oracle. A missing qemu-utils package fails the test
 * with the command to install it; it never skips.
 */
public final class Qemu {
    private Qemu() {
    }

    /** What a finished command printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code qemu-img ARGS} in {@code dir}; fails unless it exits 0. */
    public static String img(Path dir, String... args) {
        return ok(run(dir, "qemu-img", args), "qemu-img", args);
    }

    /** Runs {@code qemu-io ARGS} in {@code dir}; fails unless it exits 0 and prints no error. */
    public static String io(Path dir, String... args) {
        Result r = run(dir, "qemu-io", args);
        String out = ok(r, "qemu-io", args);
        // qemu-io reports failed commands on stdout/stderr but exits 0 in some versions.
        if (out.contains("failed") || r.stderr().contains("failed")) {
            throw new AssertionError("qemu-io " + String.join(" ", args) + " failed:\n" + out + r.stderr());
        }
        return out;
    }

    /** Runs {@code tool ARGS} in {@code dir} and returns whatever happened. */
    public static Result run(Path dir, String tool, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("LC_ALL", "C");
        Path out = null;
        Path err = null;
        try {
            // Into files, not pipes read to their end: a tool that hangs (qemu-img check has
            // looped on a broken image) must meet the timeout below, not block the test forever.
            out = Files.createTempFile("qemu-out", ".txt");
            err = Files.createTempFile("qemu-err", ".txt");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(3, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(tool + " did not finish within 3 minutes: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError(tool + " cannot run (" + e.getMessage()
                    + "); install qemu-utils: apt-get update && apt-get install -y qemu-utils", e);
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

    private static String ok(Result r, String tool, String... args) {
        if (r.exitCode() != 0) {
            throw new AssertionError(tool + " " + String.join(" ", args) + " exited " + r.exitCode() + ":\n"
                    + r.stdout() + r.stderr());
        }
        return r.stdout();
    }
}
