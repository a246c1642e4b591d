package dev.virtchain.app.boot;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Waits for a booted guest to show it lives: a console line matching a pattern, or an answer
 * from its guest agent when it has one. Gives up at a deadline, or once the domain stopped and
 * its console said nothing that matched.
 */
public final class SignOfLife {
    private static final Duration POLL = Duration.ofMillis(250);
    private static final int TAIL_LINES = 5;

    /**
     * How the wait ended.
     *
     * @param alive   the guest gave a sign of life
     * @param how     what it was ("console line 'VC-READY disks: vda'", "guest agent answered"), or
     *                why there was none
     * @param seconds how long the wait took
     * @param tail    the last console lines, for a report on a guest that gave no sign
     */
    public record Result(boolean alive, String how, double seconds, List<String> tail) {
    }

    private SignOfLife() {
    }

    public static Result await(Hypervisor hv, String domain, Path console, Pattern expect, boolean agent,
            Duration timeout) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            String seen = matchingLine(console, expect);
            if (seen != null) {
                return new Result(true, "console line '" + seen + "'", since(start), tail(console));
            }
            if (agent && hv.agentPing(domain, 1)) {
                return new Result(true, "guest agent answered", since(start), tail(console));
            }
            if (!running(hv, domain)) {
                seen = matchingLine(console, expect); // what it printed just before it stopped
                return seen != null ? new Result(true, "console line '" + seen + "'", since(start), tail(console))
                        : new Result(false, "the domain stopped without a sign of life", since(start), tail(console));
            }
            if (System.nanoTime() - deadline > 0) {
                return new Result(false, "no sign of life within " + timeout.toSeconds() + " s", since(start),
                        tail(console));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static boolean running(Hypervisor hv, String domain) throws HypervisorException {
        try {
            return hv.isActive(domain);
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                return false; // a transient domain that stopped is gone
            }
            throw e;
        }
    }

    private static String matchingLine(Path console, Pattern expect) throws IOException {
        for (String line : lines(console)) {
            if (expect.matcher(line).find()) {
                return line.strip();
            }
        }
        return null;
    }

    private static List<String> tail(Path console) throws IOException {
        List<String> all = lines(console);
        return List.copyOf(all.subList(Math.max(0, all.size() - TAIL_LINES), all.size()));
    }

    private static List<String> lines(Path console) throws IOException {
        if (console == null || !Files.isRegularFile(console)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String l : new String(Files.readAllBytes(console), StandardCharsets.UTF_8).split("\r?\n|\r")) {
            if (!l.isBlank()) {
                out.add(l);
            }
        }
        return out;
    }

    private static double since(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
