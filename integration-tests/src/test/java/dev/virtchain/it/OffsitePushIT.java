package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.offsite.Bucket;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.S3Location;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain push} against a real Ceph RGW (one node, made by {@link CephRgw}): what goes
 * up, that an unchanged set sends nothing, multipart files, pruned files. Credentials reach
 * virtchain as the AWS environment variables, as in a user's shell.
 */
class OffsitePushIT {
    @TempDir
    static Path shared;
    static CephRgw rgw;
    static CliDriver cli;

    @BeforeAll
    static void startCeph() throws Exception {
        rgw = CephRgw.start(shared.resolve("ceph"));
        cli = Offsite.cli(rgw);
        Offsite.makeBucket(rgw, "virtchain-it");
    }

    @AfterAll
    static void stopCeph() {
        if (rgw != null) {
            rgw.close();
        }
    }

    @Test
    void aPushedSetHasEveryFileByteForByteAndTheManifestLast(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        // A file of several parts: 8 MiB parts, three of them, the last short.
        Offsite.randomFile(dir.resolve("nvram.0003.fd"), (20 << 20) + 12345);
        String url = "s3://virtchain-it/hosts/kvm1/web01";

        CliDriver.Result r = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json");
        JsonNode j = r.json();
        assertEquals(9, j.get("files-sent").asInt(), r.toString());
        assertEquals(0, j.get("files-unchanged").asInt(), r.toString());

        try (Bucket b = Offsite.bucket(rgw, url)) {
            Map<String, Bucket.ObjectInfo> objects = b.list();
            Set<String> want = new TreeSet<>();
            try (var files = Files.list(dir)) {
                files.filter(p -> !p.getFileName().toString().startsWith(".")).forEach(p -> want.add(p.getFileName()
                        .toString()));
            }
            want.add("virtchain.remote.json");
            assertEquals(want, objects.keySet());
            for (String f : want) {
                if (!f.equals("virtchain.remote.json")) {
                    assertArrayEquals(Files.readAllBytes(dir.resolve(f)), b.get(f, 1L << 30), f);
                }
            }
            assertTrue(objects.get("nvram.0003.fd").etag().endsWith("-3"), "a multipart object: " + objects);
        }
    }

    @Test
    void aSecondPushOfAnUnchangedSetSendsNothingAndANewFileAlone(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String url = "s3://virtchain-it/again";
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());

        JsonNode again = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertEquals(0, again.get("files-sent").asInt(), again.toString());
        assertEquals(8, again.get("files-unchanged").asInt(), again.toString());

        Files.writeString(dir.resolve("domain.0004.xml"), BackupSetFixture.DOMAIN_XML);
        JsonNode third = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertEquals(1, third.get("files-sent").asInt(), third.toString());
    }

    @Test
    void filesThePrunedLocalSetNoLongerHasStayRemoteUntilDeletePruned(@TempDir Path dir) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        Files.writeString(dir.resolve("domain.0009.xml"), BackupSetFixture.DOMAIN_XML);
        String url = "s3://virtchain-it/pruned";
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        Files.delete(dir.resolve("domain.0009.xml"));

        CliDriver.Result kept = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        assertTrue(kept.stdout().contains("left 1 remote files of pruned points"), kept.toString());
        try (Bucket b = Offsite.bucket(rgw, url)) {
            assertTrue(b.head("domain.0009.xml").isPresent());
        }
        JsonNode deleted = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--delete-pruned", "--json")
                .json();
        assertTrue(deleted.get("pruned-deleted").asBoolean(), deleted.toString());
        try (Bucket b = Offsite.bucket(rgw, url)) {
            assertFalse(b.head("domain.0009.xml").isPresent());
            assertTrue(b.head("virtchain.json").isPresent());
        }
    }

    /** Keeps S3Location in use from the tests' side, as the CLI parses it. */
    @Test
    void anAddressIsBucketAndPrefix() throws Exception {
        assertEquals(new S3Location("virtchain-it", "a/b"), S3Location.parse("s3://virtchain-it/a/b/"));
        assertEquals("a/b/vda.0000.full.qcow2", S3Location.parse("s3://virtchain-it/a/b").key("vda.0000.full.qcow2"));
        assertEquals(new RemoteOptions(null, null).endpoint(), null);
    }
}
