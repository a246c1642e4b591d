package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliProcess;
import dev.virtchain.chain.Checksum;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * push and the read commands when things go wrong, against a real Ceph RGW: wrong credentials, a
 * missing bucket, an endpoint that does not answer, the gateway stopped in the middle of a push,
 * a push killed with SIGKILL. Each gives one line and a nonzero exit, the local set is untouched,
 * the remote set keeps its old manifest, and the next push finishes the work.
 */
class OffsiteFaultsIT {
    static final String BUCKET = "virtchain-faults";

    @TempDir
    static Path shared;
    static CephRgw rgw;
    static CliDriver cli;

    @BeforeAll
    static void startCeph() throws Exception {
        rgw = CephRgw.start(shared.resolve("ceph"));
        cli = Offsite.cli(rgw);
        Offsite.makeBucket(rgw, BUCKET);
    }

    @AfterAll
    static void stopCeph() {
        if (rgw != null) {
            rgw.close();
        }
    }

    @Test
    void wrongCredentialsAreOneLineThatNamesThemAndNeverShowsThem(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String wrongSecret = "wrong" + rgw.secretKey().substring(5);
        CliDriver wrong = CliDriver.forThisRun().under("env", "AWS_ACCESS_KEY_ID=" + rgw.accessKey(),
                "AWS_SECRET_ACCESS_KEY=" + wrongSecret, "AWS_REGION=us-east-1");
        for (String[] args : List.of(new String[] {"push", dir.toString(), "s3://" + BUCKET + "/creds"},
                new String[] {"list", "s3://" + BUCKET + "/creds"})) {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("--endpoint", rgw.endpoint()));
            CliDriver.Result r = wrong.run(a.toArray(String[]::new));
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(1, r.stderr().strip().lines().count(), r.toString());
            assertTrue(r.stderr().contains("refused the credentials (SignatureDoesNotMatch); check AWS_ACCESS_KEY_ID"),
                    r.toString());
            assertFalse(r.stderr().contains(wrongSecret) || r.stdout().contains(wrongSecret), r.toString());
        }
        CliDriver none = CliDriver.forThisRun().under("env", "-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY",
                "-u", "AWS_PROFILE", "HOME=" + dir, "AWS_REGION=us-east-1");
        CliDriver.Result r = none.run("list", "s3://" + BUCKET + "/creds", "--endpoint", rgw.endpoint());
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().strip().lines().count(), r.toString());
        assertTrue(r.stderr().startsWith("virtchain: no AWS credentials found: set AWS_ACCESS_KEY_ID"), r.toString());
    }

    @Test
    void aMissingBucketAndAnEndpointThatDoesNotAnswerAreOneLineEach(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        CliDriver.Result noBucket = cli.run("push", dir.toString(), "s3://no-such-bucket/x", "--endpoint", rgw.endpoint());
        assertEquals(1, noBucket.exitCode(), noBucket.toString());
        assertEquals("virtchain: bucket no-such-bucket does not exist at " + rgw.endpoint()
                + " (create it first, e.g. with your provider's tools)", noBucket.stderr().strip());

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + port;
        for (String cmd : List.of("push", "verify")) {
            CliDriver.Result r = cmd.equals("push") ? cli.run("push", dir.toString(), "s3://" + BUCKET + "/x", "--endpoint", dead)
                    : cli.run("verify", "s3://" + BUCKET + "/x", "--endpoint", dead);
            assertEquals(1, r.exitCode(), r.toString());
            assertEquals(1, r.stderr().strip().lines().count(), r.toString());
            assertTrue(r.stderr().contains(dead + " does not answer (Connection refused)"), r.toString());
        }
    }

    @Test
    void aGatewayStoppedMidPushLeavesTheOldSetAndTheNextPushSendsOnlyWhatIsMissing(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String url = "s3://" + BUCKET + "/stopped";
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        byte[] oldManifest = remoteManifest("stopped");
        Offsite.randomFile(dir.resolve("nvram.0004.fd"), 160 << 20); // 20 parts
        Map<String, Checksum> before = checksums(dir);

        CliProcess push = cli.start(dir.resolveSibling(dir.getFileName() + "-logs"), "push-stopped", "push", dir.toString(), url, "--endpoint", rgw.endpoint(),
                "--parallel", "1");
        awaitParts("stopped/nvram.0004.fd", 3);
        rgw.stopGateway();
        int rc = push.waitFor(300);
        rgw.startGateway();
        assertEquals(1, rc, push.out() + push.errLines());
        assertEquals(1, push.errors().size(), push.errLines().toString());
        assertTrue(push.errors().get(0).contains(rgw.endpoint()), push.errors().toString());
        assertArrayEquals(oldManifest, remoteManifest("stopped"), "the old manifest is still the remote one");
        assertEquals(before, checksums(dir), "the local set is untouched");
        cli.ok("verify", url, "--endpoint", rgw.endpoint());

        JsonNode again = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertEquals(1, again.get("files-sent").asInt(), again.toString());
        assertTrue(again.get("bytes-resumed").asLong() >= 3L * (8 << 20), "parts sent before are not sent again: " + again);
        cli.ok("verify", url, "--endpoint", rgw.endpoint());
    }

    @Test
    void aGatewayThatStopsReadingEndsThePushWithOneLineAndTheNextPushResumes(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String url = "s3://" + BUCKET + "/frozen";
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        byte[] oldManifest = remoteManifest("frozen");
        Offsite.randomFile(dir.resolve("nvram.0004.fd"), 160 << 20); // 20 parts
        // Each upload attempt may take 3 s here (600 s by default); reads alone would wait 60 s each.
        CliDriver bounded = CliDriver.forThisRun().under(Stream.concat(rgw.envCommand().stream(),
                Stream.of("JAVA_TOOL_OPTIONS=-Dvirtchain.remote.uploadAttemptSeconds=3")).toArray(String[]::new));
        CliProcess push = bounded.start(dir.resolveSibling(dir.getFileName() + "-logs"), "push-frozen", "push",
                dir.toString(), url, "--endpoint", rgw.endpoint(), "--parallel", "4");
        awaitParts("frozen/nvram.0004.fd", 2);
        long frozenAt = System.nanoTime();
        rgw.freezeGateway(true);
        int rc;
        try {
            rc = push.waitFor(300);
        } finally {
            rgw.freezeGateway(false);
        }
        long seconds = (System.nanoTime() - frozenAt) / 1_000_000_000L;
        assertEquals(1, rc, push.out() + push.errLines());
        assertTrue(seconds < 55, "the push ended " + seconds + " s after the gateway froze: before one read timeout "
                + "(60 s) could have ended it");
        assertEquals(1, push.errors().size(), push.errLines().toString());
        assertTrue(push.errors().get(0).contains(rgw.endpoint() + " stopped taking data"), push.errors().toString());
        assertArrayEquals(oldManifest, remoteManifest("frozen"), "the old manifest is still the remote one");
        JsonNode again = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertEquals(1, again.get("files-sent").asInt(), again.toString());
        cli.ok("verify", url, "--endpoint", rgw.endpoint());
    }

    @Test
    void aPushKilledWithSigkillLeavesTheOldSetAndTheNextPushResumes(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String url = "s3://" + BUCKET + "/killed";
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        byte[] oldManifest = remoteManifest("killed");
        Offsite.randomFile(dir.resolve("nvram.0004.fd"), 160 << 20);
        Map<String, Checksum> before = checksums(dir);

        CliProcess push = cli.start(dir.resolveSibling(dir.getFileName() + "-logs"), "push-killed", "push", dir.toString(), url, "--endpoint", rgw.endpoint(),
                "--parallel", "2");
        awaitParts("killed/nvram.0004.fd", 4);
        push.kill();
        assertArrayEquals(oldManifest, remoteManifest("killed"));
        assertEquals(before, checksums(dir));
        cli.ok("verify", url, "--endpoint", rgw.endpoint());

        JsonNode again = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertTrue(again.get("bytes-resumed").asLong() >= 4L * (8 << 20), again.toString());
        cli.ok("verify", url, "--endpoint", rgw.endpoint());
        try (S3Client s3 = Offsite.s3(rgw)) {
            assertEquals(0, s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix("killed/")).uploads().size(),
                    "no upload is left open");
        }
    }

    /** Waits until the open multipart upload of {@code key} has at least {@code parts} parts. */
    private static void awaitParts(String key, int parts) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        try (S3Client s3 = Offsite.s3(rgw)) {
            while (System.nanoTime() < deadline) {
                for (var u : s3.listMultipartUploads(b -> b.bucket(BUCKET).prefix(key)).uploads()) {
                    if (s3.listParts(b -> b.bucket(BUCKET).key(key).uploadId(u.uploadId())).parts().size() >= parts) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("no upload of " + key + " with " + parts + " parts within 120 s");
    }

    private static byte[] remoteManifest(String prefix) {
        try (S3Client s3 = Offsite.s3(rgw)) {
            return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(prefix + "/virtchain.json")).asByteArray();
        }
    }

    private static Map<String, Checksum> checksums(Path dir) throws Exception {
        Map<String, Checksum> out = new java.util.TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                out.put(f.getFileName().toString(), Checksum.of("crc32c", f));
            }
        }
        return out;
    }
}
