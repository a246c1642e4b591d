package dev.virtchain.app.backup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The backup's side of the thaw watchdog ({@link ThawWatchdogMain}, docs/DESIGN.md "How one push
 * backup runs"): a second JVM from our own jar, started before the guest is frozen, that thaws
 * the guest through libvirt when this process dies before it thawed (its stdin pipe closes
 * without "thawed"), or when the freeze outlasts a deadline. The kernel closes the pipe however
 * this process dies (SIGKILL, the OOM killer), so a guest is never left frozen by a dead backup.
 */
final class ThawWatchdog implements AutoCloseable {
    /** How long a freeze may last before the watchdog thaws the guest anyway. */
    static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final long READY_SECONDS = 30;

    private final Process process;
    private final BufferedReader replies;
    private boolean done;

    private ThawWatchdog(Process process) {
        this.process = process;
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Starts the watchdog for {@code domain} on {@code uri} and waits until it says it is ready.
     * Fails when it does not start or does not answer within 30 s.
     */
    static ThawWatchdog start(String uri, String domain, Duration deadline) throws IOException {
        return start(uri, domain, deadline, ProcessBuilder.Redirect.INHERIT);
    }

    /** {@link #start(String, String, Duration)} with the watchdog's stderr (its one line) going to {@code err}. */
    static ThawWatchdog start(String uri, String domain, Duration deadline, ProcessBuilder.Redirect err)
            throws IOException {
        List<String> cmd = command(uri, domain, Long.toString(deadline.toSeconds()));
        Process p = new ProcessBuilder(cmd).redirectError(err).start();
        ThawWatchdog w = new ThawWatchdog(p);
        try {
            String first = w.readLine(READY_SECONDS);
            if (!ThawWatchdogMain.READY.equals(first)) {
                throw new IOException("it said " + (first == null ? "nothing" : "'" + first + "'") + " instead of "
                        + ThawWatchdogMain.READY);
            }
            return w;
        } catch (IOException e) {
            p.destroyForcibly();
            throw e;
        }
    }

    /**
     * Tells the watchdog the guest was thawed and waits for its end. Returns true when it had
     * thawed the guest itself before (the freeze outlasted its deadline).
     */
    boolean disarm() {
        if (done) {
            return false;
        }
        done = true;
        boolean thawedAtDeadline = false;
        try (OutputStream in = process.getOutputStream()) {
            in.write((ThawWatchdogMain.THAWED + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            // it died: nothing left to disarm
        }
        try {
            for (String line = readLine(10); line != null; line = readLine(10)) {
                thawedAtDeadline |= ThawWatchdogMain.DEADLINE_THAWED.equals(line);
            }
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // a silent watchdog thawed nothing that we know of
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return thawedAtDeadline;
    }

    /**
     * Leaves the guest to the watchdog: closes its pipe without "thawed", as a dying process would,
     * so it thaws the guest as soon as it can reach libvirt.
     */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // closed either way
        }
    }

    /** Waits up to {@code seconds} for the watchdog's end; whether it ended. */
    boolean awaitEnd(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** The watchdog's next stdout line, or null at its end; fails after {@code seconds}. */
    private String readLine(long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!replies.ready() && process.isAlive()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("it did not answer within " + seconds + " s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for it", e);
            }
        }
        return replies.readLine();
    }

    /** The command line of {@link ThawWatchdogMain} with {@code args}, on this JVM's launcher and class path. */
    static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand());
        cmd.addAll(List.of("-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), ThawWatchdogMain.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The java launcher this JVM runs on. */
    private static String javaCommand() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
