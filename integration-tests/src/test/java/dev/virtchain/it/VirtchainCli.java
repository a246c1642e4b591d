package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code virtchain} command line run inside the test JVM through {@link Main#run}, exactly as
 * {@code main} runs it, with its output captured.
 *
 * <p>In-process because of the embedded driver: a second process cannot open a
 * {@code qemu:///embed?root=DIR} that this JVM holds ("Failed to acquire pid file
 * 'DIR/run/qemu/driver.pid': Resource temporarily unavailable", tried with virsh against a held
 * root). A second connection to the same root from within one process shares the driver, so the
 * CLI's own {@code Hypervisor.connect(-c URI)} works while the harness stays connected.
 */
final class VirtchainCli {
    static final ObjectMapper JSON = new ObjectMapper();

    private VirtchainCli() {
    }

    /** What one command line printed and returned. */
    record Result(List<String> args, int exit, String out, String err) {
        /** stdout as JSON (for --json runs). */
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("virtchain " + String.join(" ", args) + " printed no JSON: " + e.getMessage()
                        + "\nstdout:\n" + out + "\nstderr:\n" + err, e);
            }
        }

        @Override
        public String toString() {
            return "virtchain " + String.join(" ", args) + " -> exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = Main.run(args, o, e);
        }
        return new Result(List.of(args), exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs a command line that must succeed. */
    static Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.exit(), r::toString);
        return r;
    }

    static JsonNode readJson(java.nio.file.Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
