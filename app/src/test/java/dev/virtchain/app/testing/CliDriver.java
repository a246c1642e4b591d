package dev.virtchain.app.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.Main;
import dev.virtchain.qcow2.testing.Processes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way tests run the {@code virtchain} command line, returning exit code, stdout and
 * stderr. Two modes:
 *
 * <ul>
 * <li>{@link Mode#IN_PROCESS}: {@link Main#run} inside the test JVM, as {@code main} runs it. Fast;
 *     and the only way to share a {@code qemu:///embed} root the test holds (a second process
 *     cannot open it).
 * <li>{@link Mode#JAR}: the packaged jar ({@code app/target/virtchain.jar}) as a process of its
 *     own, as users run it.
 * </ul>
 *
 * A CLI test class runs {@link #forThisRun()}: in-process under surefire, and again against the
 * jar under failsafe, which sets {@code -Dvirtchain.cli=jar} and runs its {@code JarIT} subclass
 * ({@code CliJarCoverageTest} checks that every CLI test class has one).
 *
 * <p>{@link #in} (a working directory of its own) and {@link #under} (a wrapper command: a file size
 * limit, strace) always run a process of its own, since a JVM cannot change its working directory:
 * the jar, or in-process mode's {@link Main} on the test class path. {@link #start} runs one in the
 * background, for tests that send it signals.
 */
public final class CliDriver {
    /** Where virtchain runs. */
    public enum Mode { IN_PROCESS, JAR }

    /** {@code -Dvirtchain.cli=jar}: {@link #forThisRun()} runs the jar (failsafe sets it in app/pom.xml). */
    public static final String MODE_PROPERTY = "virtchain.cli";
    /** {@code -Dvirtchain.jar=PATH}: the jar to run; by default app/target/virtchain.jar seen from app or a sibling module. */
    public static final String JAR_PROPERTY = "virtchain.jar";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final Mode mode;
    private final Path workDir;
    private final List<String> wrapper;

    private CliDriver(Mode mode, Path workDir, List<String> wrapper) {
        this.mode = mode;
        this.workDir = workDir;
        this.wrapper = List.copyOf(wrapper);
    }

    /** In-process, unless this test run is the one against the jar ({@value #MODE_PROPERTY}=jar). */
    public static CliDriver forThisRun() {
        return "jar".equals(System.getProperty(MODE_PROPERTY)) ? jar() : inProcess();
    }

    public static CliDriver inProcess() {
        return new CliDriver(Mode.IN_PROCESS, null, List.of());
    }

    public static CliDriver jar() {
        return new CliDriver(Mode.JAR, null, List.of());
    }

    public Mode mode() {
        return mode;
    }

    /** This driver with {@code dir} as the working directory, so relative names resolve there. */
    public CliDriver in(Path dir) {
        return new CliDriver(mode, dir, wrapper);
    }

    /** This driver running virtchain under {@code command}, which ends by executing its arguments. */
    public CliDriver under(String... command) {
        List<String> w = new ArrayList<>(wrapper);
        w.addAll(List.of(command));
        return new CliDriver(mode, workDir, w);
    }

    /**
     * This driver with a file size limit of 1 MiB to 2 MiB ({@code ulimit -f 2048} counts 512-byte
     * blocks in a POSIX sh, 1 KiB ones in bash): a write beyond it fails with EFBIG, "File too
     * large" (the JVM ignores SIGXFSZ), as a write to a full disk fails, but on every machine.
     */
    public CliDriver withSmallFileLimit() {
        return under("sh", "-c", "ulimit -f 2048 && exec \"$@\"", "sh");
    }

    /** Runs {@code virtchain ARGS} to its end. */
    public Result run(String... args) {
        if (mode == Mode.IN_PROCESS && workDir == null && wrapper.isEmpty()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                code = Main.run(args, o, e);
            }
            return new Result(List.of(args), code, out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        }
        String install = wrapper.isEmpty() ? "a JDK 17 runs the tests" : "apt-get install " + wrapper.get(0);
        Processes.Result r = Processes.run(workingDirectory(), TIMEOUT, install, command(args));
        return new Result(List.of(args), r.exitCode(), r.stdout(), r.stderr());
    }

    /** Runs {@code virtchain ARGS} and fails the test with what it printed unless it exited 0. */
    public Result ok(String... args) {
        Result r = run(args);
        if (r.exitCode() != 0) {
            throw new AssertionError(r.toString());
        }
        return r;
    }

    /**
     * Starts {@code virtchain ARGS} as a process of its own (in either mode), its stdout and
     * stderr going to {@code logs/<label>.out|err}.
     */
    public CliProcess start(Path logs, String label, String... args) throws IOException {
        return CliProcess.start(workingDirectory(), command(args), logs, label);
    }

    /** The command line of a process that runs {@code virtchain ARGS}. */
    List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (mode == Mode.JAR) {
            Path jar = jarFile();
            // The build's class-data-sharing archive, as the virtchain launcher maps it (about 0.3 s a run).
            Path cds = jar.resolveSibling("virtchain.jsa");
            if (Files.isRegularFile(cds)) {
                cmd.addAll(List.of("-XX:SharedArchiveFile=" + cds, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
            }
            // The launcher's JIT thresholds (C2 only for code hot for long), as ./virtchain sets them.
            cmd.addAll(List.of("-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=6000",
                    "-XX:Tier4CompileThreshold=150000", "-XX:Tier4BackEdgeThreshold=400000", "-Xms64m",
                    "-XX:GCTimeRatio=4"));
            cmd.addAll(List.of("-jar", jar.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path",
                    System.getProperty("java.class.path")), Main.class.getName()));
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Path workingDirectory() {
        return workDir != null ? workDir : Path.of("").toAbsolutePath();
    }

    /** The packaged jar, which must be there: failsafe runs after package. */
    static Path jarFile() {
        String given = System.getProperty(JAR_PROPERTY);
        List<Path> candidates = given != null ? List.of(Path.of(given))
                : List.of(Path.of("target", "virtchain.jar"), Path.of("..", "app", "target", "virtchain.jar"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new AssertionError("the packaged jar is missing (looked for " + candidates + "): run through "
                + "'mvn verify', which packages app first");
    }

    /** What one run printed and returned. */
    public record Result(List<String> args, int exitCode, String stdout, String stderr) {
        /** stdout as JSON (of a --json or --output=json run). */
        public JsonNode json() {
            try {
                return JSON.readTree(stdout);
            } catch (IOException e) {
                throw new AssertionError("printed no JSON: " + e.getMessage() + "\n" + this, e);
            }
        }

        @Override
        public String toString() {
            return "virtchain " + String.join(" ", args) + " -> exit " + exitCode + "\n--- stdout\n" + stdout
                    + "--- stderr\n" + stderr;
        }
    }
}
