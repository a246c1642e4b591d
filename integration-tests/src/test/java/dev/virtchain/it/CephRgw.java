package dev.virtchain.it;

import dev.virtchain.qcow2.testing.Processes;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A real one-node Ceph cluster with a RADOS Gateway (Debian 12's ceph 16.2), made in a test's
 * directory by {@code integration-tests/ceph/one-node-rgw}: one mon, one mgr, one memstore OSD
 * and radosgw on beast, on free loopback ports, with an S3 user whose keys are random. About
 * 13 s to start. Missing packages fail the test with the command that installs them.
 */
final class CephRgw implements AutoCloseable {
    static final String INSTALL = "apt-get update && apt-get install -y radosgw ceph-mon ceph-mgr ceph-osd";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private final Path dir;
    private final String endpoint;
    private final String accessKey;
    private final String secretKey;

    private CephRgw(Path dir, String endpoint, String accessKey, String secretKey) {
        this.dir = dir;
        this.endpoint = endpoint;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Makes and starts the cluster with its files under {@code dir} (which it creates). */
    static CephRgw start(Path dir) throws IOException {
        HostRequirements.requireToolsFor("the offsite tests", INSTALL,
                "ceph-mon", "ceph-mgr", "ceph-osd", "radosgw", "radosgw-admin", "curl");
        Files.createDirectories(dir);
        // Twice at most: on a loaded machine a daemon has once failed to come up; the second try
        // gets new ports and a clean directory, and a second failure shows both reasons.
        AssertionError first = null;
        for (int attempt = 1; ; attempt++) {
            try {
                script("start", dir, String.valueOf(freePort()), String.valueOf(freePort()));
                break;
            } catch (AssertionError e) {
                script("stop", dir);
                if (first != null || attempt > 1) {
                    e.addSuppressed(first);
                    throw e;
                }
                first = e;
                deleteContents(dir);
            }
        }
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("s3.env"))) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return new CephRgw(dir, env.get("endpoint"), env.get("access_key"), env.get("secret_key"));
    }

    /** The gateway's S3 endpoint, {@code http://127.0.0.1:PORT}. */
    String endpoint() {
        return endpoint;
    }

    String accessKey() {
        return accessKey;
    }

    String secretKey() {
        return secretKey;
    }

    /**
     * The environment a user's shell would give virtchain for this gateway: the AWS variables with
     * this user's keys (region us-east-1, which RGW accepts). The CA variables of the machine stay
     * as they are: an http endpoint must not depend on them.
     */
    List<String> envCommand() {
        return List.of("env", "AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey,
                "AWS_REGION=us-east-1");
    }

    /** Stops the gateway alone (the cluster keeps its data). */
    void stopGateway() {
        script("stop-rgw", dir);
    }

    /**
     * Freezes ({@code frozen}: SIGSTOP) or thaws (SIGCONT) the gateway's process: its sockets stay
     * open and the kernel keeps accepting connections, but nothing reads what is sent, as with a
     * gateway whose storage is full.
     */
    void freezeGateway(boolean frozen) throws IOException, InterruptedException {
        String pid = Files.readString(dir.resolve("run").resolve("client.rgw.a.pid")).strip();
        Process p = new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", pid).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new AssertionError("kill " + (frozen ? "-STOP " : "-CONT ") + pid + " failed");
        }
    }

    /** Starts the gateway again and waits until it answers. */
    void startGateway() {
        script("start-rgw", dir);
    }

    /** Runs radosgw-admin on this cluster and returns its stdout. */
    String admin(String... args) {
        List<String> cmd = new ArrayList<>(List.of("radosgw-admin", "-c", dir.resolve("ceph.conf").toString()));
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(dir, TIMEOUT, INSTALL, cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError("radosgw-admin " + String.join(" ", args) + " failed: " + r.stderr());
        }
        return r.stdout();
    }

    @Override
    public void close() {
        script("stop", dir);
    }

    private static void script(String command, Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of(script().toString(), command, dir.toString()));
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(dir, TIMEOUT, INSTALL, cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError("one-node-rgw " + command + " failed (" + r.exitCode() + "): " + r.stderr()
                    + r.stdout());
        }
    }

    /** The script, from the module directory (where failsafe runs) or the project root. */
    private static Path script() {
        for (Path p : List.of(Path.of("ceph", "one-node-rgw"), Path.of("integration-tests", "ceph", "one-node-rgw"))) {
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new AssertionError("integration-tests/ceph/one-node-rgw not found from " + Path.of("").toAbsolutePath());
    }

    private static void deleteContents(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                if (!p.equals(dir)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
