package dev.virtchain.it;

import dev.virtchain.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs virtchain inside the test JVM. With the embedded driver it must: another process cannot
 * open an embed root this JVM holds, while a second connection in the same JVM shares its driver
 * (and a transient domain started through it outlives that connection).
 */
final class InProcessCli {
    record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private InProcessCli() {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs and fails the test unless virtchain exited 0; returns its stdout. */
    static String ok(String... args) {
        Result r = run(args);
        if (r.exitCode() != 0) {
            throw new AssertionError("virtchain " + String.join(" ", args) + ": " + r);
        }
        return r.stdout();
    }
}
