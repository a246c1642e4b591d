package dev.virtchain.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged CLI ({@code app/target/virtchain.jar}) run as its own process, so a test can send it
 * signals. SIGINT and SIGTERM are reset to their defaults before the JVM starts (through perl's
 * exec): a process started in the background may inherit SIGINT ignored, and a JVM that starts
 * with a signal ignored leaves it ignored.
 */
final class VirtchainProcess {
    static final Path JAR = Path.of("..", "app", "target", "virtchain.jar").toAbsolutePath().normalize();

    private final Process process;
    private final Path out;
    private final Path err;

    private VirtchainProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code virtchain ARGS}, its stdout and stderr going to {@code logs/<label>.out|err}. */
    static VirtchainProcess start(Path logs, String label, String... args) throws IOException {
        if (!Files.isRegularFile(JAR)) {
            throw new AssertionError(JAR + " is missing: the app module is packaged before integration-tests");
        }
        Files.createDirectories(logs);
        List<String> cmd = new ArrayList<>(List.of("perl", "-e",
                "$SIG{INT} = 'DEFAULT'; $SIG{TERM} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Path out = logs.resolve(label + ".out");
        Path err = logs.resolve(label + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        return new VirtchainProcess(p, out, err);
    }

    /** Runs {@code virtchain ARGS} to its end (at most 5 minutes). */
    static VirtchainProcess run(Path logs, String label, String... args) throws IOException, InterruptedException {
        VirtchainProcess p = start(logs, label, args);
        p.waitFor(300);
        return p;
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL and wait: what a test leaves running must not hold the embedded root for the next. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("virtchain still running after " + seconds + " s:\n" + text());
        }
        return process.exitValue();
    }

    /** Waits until stderr shows {@code marker} (e.g. the job's first progress line); false if the run ended first. */
    boolean awaitErr(String marker, long seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (Files.readString(err).contains(marker)) {
                return true;
            }
            if (!process.isAlive()) {
                return Files.readString(err).contains(marker);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + marker + "' from virtchain after " + seconds + " s:\n" + text());
    }

    void signal(String name) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " exited " + rc);
        }
    }

    String out() throws IOException {
        return Files.readString(out);
    }

    /** stderr without the embedded libvirt's own log lines ("... : info : ...", "... : warning : ..."). */
    List<String> errLines() throws IOException {
        return Files.readAllLines(err).stream()
                .filter(l -> !l.matches("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\+\\d{4}: \\d+: \\w+ : .*"))
                .toList();
    }

    /** Lines that are virtchain's errors (not warnings, not progress). */
    List<String> errors() throws IOException {
        return errLines().stream().filter(l -> l.startsWith("virtchain: ") && !l.startsWith("virtchain: warning: "))
                .toList();
    }

    String text() {
        try {
            return "stdout:\n" + Files.readString(out) + "stderr:\n" + Files.readString(err);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Fails with the run's output unless it exited 0. */
    VirtchainProcess assertOk() throws InterruptedException {
        int rc = waitFor(300);
        if (rc != 0) {
            throw new AssertionError("virtchain exited " + rc + ":\n" + text());
        }
        return this;
    }
}
