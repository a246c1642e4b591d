package dev.virtchain.app;

import dev.virtchain.qcow2.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Runs the CLI in-process and captures what it printed. Relative file arguments are resolved
 * by the caller; use {@link #runIn} to make paths in messages match the ones qemu-img prints.
 */
public final class CliDriver {
    private CliDriver() {
    }

    /** Exit code and output of one run. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    public static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs {@link Main} in {@code dir} as a separate JVM on the test class path, for tests that
     * need a working directory of their own before the jar is packaged.
     */
    public static Result runMain(Path dir, String... args) throws Exception {
        return exec(mainCommand(args), dir);
    }

    /**
     * As {@link #runMain}, but the process cannot grow a file past 1 MiB to 2 MiB ({@code ulimit -f
     * 2048} counts 512-byte blocks in a POSIX sh, 1 KiB ones in bash): a write beyond that fails
     * with EFBIG, "File too large" (the JVM ignores SIGXFSZ), as a write to a full disk fails,
     * but on every machine.
     */
    public static Result runMainWithSmallFileLimit(Path dir, String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>(java.util.List.of("sh", "-c", "ulimit -f 2048 && exec \"$@\"", "sh"));
        cmd.addAll(mainCommand(args));
        return exec(cmd, dir);
    }

    private static java.util.List<String> mainCommand(String... args) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        var cmd = new java.util.ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(Main.class.getName());
        cmd.addAll(java.util.List.of(args));
        return cmd;
    }

    /** Runs the packaged jar in {@code dir} as a separate process, as a user would. */
    public static Result runJar(Path jar, Path dir, String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(java.util.List.of(args));
        return exec(cmd, dir);
    }

    private static Result exec(java.util.List<String> cmd, Path dir) {
        Processes.Result r = Processes.run(dir, java.time.Duration.ofMinutes(3), "a JDK 17 runs the tests", cmd);
        return new Result(r.exitCode(), r.stdout(), r.stderr());
    }
}
