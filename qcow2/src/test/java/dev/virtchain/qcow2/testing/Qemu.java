package dev.virtchain.qcow2.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /**
     * qemu-img check calls the qcow2 {@code image} clean: no corruption, no leaked cluster, no
     * error; fails with qemu-img's report otherwise. Every test that writes an image asks this as
     * well as qemu-img compare, which reads a cluster mapped past the end of the file as zeros and
     * calls such a broken image identical. {@code -U}: a chain a guest still has open does not
     * refuse the check (sharing can only add errors, never hide one).
     */
    public static void assertClean(Path image) {
        check(image, false);
    }

    /**
     * As {@link #assertClean}, but leaked clusters are allowed: only for an image whose writer the
     * test killed mid-write, where the flush order promises no corruption and may leak.
     */
    public static void assertNoCorruption(Path image) {
        check(image, true);
    }

    private static void check(Path image, boolean leaksAllowed) {
        Path file = image.toAbsolutePath();
        Result r = run(file.getParent(), "qemu-img", "check", "-U", "-f", "qcow2", file.toString());
        if (r.exitCode() == 0 || leaksAllowed && r.exitCode() == 3) {
            return;
        }
        String verdict = switch (r.exitCode()) {
            case 1 -> "the check could not finish";
            case 2 -> "corruptions";
            case 3 -> "leaked clusters";
            default -> "no verdict";
        };
        throw new AssertionError("qemu-img check " + file + " exited " + r.exitCode() + " (" + verdict + "):\n"
                + r.stdout() + r.stderr());
    }

    /** Runs {@code tool ARGS} in {@code dir} and returns whatever happened; a hang fails after 3 minutes. */
    public static Result run(Path dir, String tool, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(dir, Duration.ofMinutes(3),
                "install qemu-utils: apt-get update && apt-get install -y qemu-utils", cmd, Map.of("LC_ALL", "C"));
        return new Result(r.exitCode(), r.stdout(), r.stderr());
    }

    private static String ok(Result r, String tool, String... args) {
        if (r.exitCode() != 0) {
            throw new AssertionError(tool + " " + String.join(" ", args) + " exited " + r.exitCode() + ":\n"
                    + r.stdout() + r.stderr());
        }
        return r.stdout();
    }
}
