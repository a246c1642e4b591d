package dev.virtchain.app.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code virtchain} process started by {@link CliDriver#start}, running in the background so
 * that a test can watch its output and send it signals. SIGINT and SIGTERM are reset to their
 * defaults before the JVM starts (through perl's exec): a process started in the background may
 * inherit SIGINT ignored, and a JVM that starts with a signal ignored leaves it ignored.
 */
public final class CliProcess {
    private final Process process;
    private final Path out;
    private final Path err;

    private CliProcess(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    static CliProcess start(Path workDir, List<String> command, Path logs, String label) throws IOException {
        Files.createDirectories(logs);
        List<String> cmd = new ArrayList<>(List.of("perl", "-e",
                "$SIG{INT} = 'DEFAULT'; $SIG{TERM} = 'DEFAULT'; exec @ARGV or die \"exec: $!\""));
        cmd.addAll(command);
        Path out = logs.resolve(label + ".out");
        Path err = logs.resolve(label + ".err");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        p.getOutputStream().close();
        return new CliProcess(p, out, err);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL and wait: what a test leaves running must not hold an embedded root for the next. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Waits for the end and returns the exit code; fails the test (killing it) after {@code seconds}. */
    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("virtchain still running after " + seconds + " s:\n" + text());
        }
        return process.exitValue();
    }

    /** Waits until stderr shows {@code marker} (e.g. the job's first progress line); false if the run ended first. */
    public boolean awaitErr(String marker, long seconds) throws IOException, InterruptedException {
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

    public void signal(String name) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " exited " + rc);
        }
    }

    public String out() throws IOException {
        return Files.readString(out);
    }

    /** stderr without the embedded libvirt's own log lines ("... : info : ...", "... : warning : ..."). */
    public List<String> errLines() throws IOException {
        return Files.readAllLines(err).stream()
                .filter(l -> !l.matches("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\+\\d{4}: \\d+: \\w+ : .*"))
                .toList();
    }

    /** Lines that are virtchain's errors (not warnings, not progress). */
    public List<String> errors() throws IOException {
        return errLines().stream().filter(l -> l.startsWith("virtchain: ") && !l.startsWith("virtchain: warning: "))
                .toList();
    }

    public String text() {
        try {
            return "stdout:\n" + Files.readString(out) + "stderr:\n" + Files.readString(err);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Fails with the run's output unless it exits 0 (within 5 minutes). */
    public CliProcess assertOk() throws InterruptedException {
        int rc = waitFor(300);
        if (rc != 0) {
            throw new AssertionError("virtchain exited " + rc + ":\n" + text());
        }
        return this;
    }
}
