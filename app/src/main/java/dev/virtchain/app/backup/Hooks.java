package dev.virtchain.app.backup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;

/**
 * Runs the user's pre- and post-backup commands through {@code sh -c}, with a time limit and
 * the run's facts in the environment (VIRTCHAIN_DOMAIN, VIRTCHAIN_DIR, VIRTCHAIN_LEVEL,
 * VIRTCHAIN_SEQ, VIRTCHAIN_STATUS).
 */
final class Hooks {
    private Hooks() {
    }

    /** Runs {@code command}; a nonzero exit or a timeout is a {@link HookException} naming the hook. */
    static void run(String which, String command, Duration timeout, Map<String, String> facts) throws IOException {
        if (command == null || command.isBlank()) {
            return;
        }
        CommandLine cl = new CommandLine("/bin/sh").addArgument("-c").addArgument(command, false);
        ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        DefaultExecutor exec = DefaultExecutor.builder().get();
        exec.setWatchdog(watchdog);
        exec.setStreamHandler(new PumpStreamHandler(output));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(facts);
        try {
            exec.execute(cl, env);
        } catch (ExecuteException e) {
            String out = output.toString(StandardCharsets.UTF_8).strip();
            String tail = out.isEmpty() ? "" : ": " + out.lines().reduce((a, b) -> b).orElse("");
            if (watchdog.killedProcess()) {
                throw new HookException(which + " '" + command + "' did not finish within " + timeout.toSeconds()
                        + " s and was killed");
            }
            throw new HookException(which + " '" + command + "' exited " + e.getExitValue() + tail);
        }
    }
}
