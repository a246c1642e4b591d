package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.offsite.Bucket;
import dev.virtchain.app.offsite.RemoteFiles;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * list, verify, restore and pull of a set in a real Ceph RGW: what they read from the bucket is
 * what the local set holds, and an object changed or deleted behind virtchain's back is reported.
 */
class OffsiteReadIT {
    static final String BUCKET = "virtchain-read";

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

    private String pushed(Path dir, String prefix) throws Exception {
        BackupSetFixture.write(dir, "crc32c");
        String url = "s3://" + BUCKET + "/" + prefix;
        cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint());
        return url;
    }

    @Test
    void restoreFromTheBucketIsTheSameImageAsRestoreFromTheDirectory(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("set"));
        String url = pushed(dir, "restore");
        for (String at : List.of("2", "3")) {
            Path fromBucket = tmp.resolve("bucket-" + at);
            Path fromDir = tmp.resolve("dir-" + at);
            CliDriver.Result r = cli.ok("restore", url, "--endpoint", rgw.endpoint(), "-o", fromBucket.toString(),
                    "--at", at);
            assertTrue(r.stdout().contains("restored vda from"), r.toString());
            cli.ok("restore", dir.toString(), "-o", fromDir.toString(), "--at", at);
            Qemu.assertClean(fromBucket.resolve("vda.qcow2"));
            Qemu.img(tmp, "compare", fromBucket.resolve("vda.qcow2").toString(), fromDir.resolve("vda.qcow2").toString());
            Qemu.img(tmp, "compare", fromBucket.resolve("vda.qcow2").toString(),
                    dir.resolve(BackupSetFixture.FILES.get(Integer.parseInt(at))).toString());
            assertTrue(Files.isRegularFile(fromBucket.resolve("web01-restored-" + at + ".xml")));
        }
    }

    @Test
    void aReadOfAnObjectReplacedSinceTheListingFailsNamingTheObject(@TempDir Path dir) throws Exception {
        String url = pushed(dir, "replaced");
        String name = BackupSetFixture.FILES.get(1);
        try (Bucket bucket = Offsite.bucket(rgw, url); RemoteFiles files = new RemoteFiles(bucket, bucket.list())) {
            try (S3Client s3 = Offsite.s3(rgw)) {
                s3.putObject(b -> b.bucket(BUCKET).key("replaced/" + name),
                        RequestBody.fromBytes(Files.readAllBytes(dir.resolve(BackupSetFixture.FILES.get(2)))));
            }
            IOException e = assertThrows(IOException.class, () -> files.open(name).read("header", 0, 512));
            assertTrue(e.getMessage().contains(bucket.object(name) + " changed while it was read"), e.getMessage());
        }
    }

    @Test
    void listOfTheBucketIsListOfTheDirectory(@TempDir Path dir) throws Exception {
        String url = pushed(dir, "list");
        JsonNode remote = cli.ok("list", url, "--endpoint", rgw.endpoint(), "--json").json();
        JsonNode local = cli.ok("list", dir.toString(), "--json").json();
        assertEquals(local, remote);
    }

    @Test
    void verifyReportsAnObjectChangedOrDeletedBehindOurBackAndTheNextPushRepairsIt(@TempDir Path dir) throws Exception {
        String url = pushed(dir, "damaged");
        CliDriver.Result good = cli.ok("verify", url, "--endpoint", rgw.endpoint());
        assertTrue(good.stdout().contains("verified 4 files: all good"), good.toString());

        try (S3Client s3 = Offsite.s3(rgw)) {
            byte[] other = Files.readAllBytes(dir.resolve(BackupSetFixture.FILES.get(2)));
            s3.putObject(b -> b.bucket(BUCKET).key("damaged/" + BackupSetFixture.FILES.get(1)), RequestBody.fromBytes(other));
            s3.deleteObject(b -> b.bucket(BUCKET).key("damaged/" + BackupSetFixture.FILES.get(3)));
        }
        CliDriver.Result bad = cli.run("verify", url, "--endpoint", rgw.endpoint());
        assertEquals(1, bad.exitCode(), bad.toString());
        assertTrue(bad.stderr().contains("vda.0001.inc.qcow2 in " + url + " changed after it was pushed"), bad.toString());
        assertTrue(bad.stderr().contains("vda.0003.diff.qcow2 is missing from " + url), bad.toString());
        CliDriver.Result restore = cli.run("restore", url, "--endpoint", rgw.endpoint(), "-o",
                dir.resolveSibling(dir.getFileName() + "-out").toString(), "--at", "2");
        assertEquals(1, restore.exitCode(), restore.toString());
        assertTrue(restore.stderr().startsWith("virtchain: vda.0001.inc.qcow2 in " + url + " changed after it was pushed"),
                restore.toString());
        assertFalse(Files.exists(dir.resolveSibling(dir.getFileName() + "-out").resolve("vda.qcow2")));

        JsonNode again = cli.ok("push", dir.toString(), url, "--endpoint", rgw.endpoint(), "--json").json();
        assertEquals(2, again.get("files-sent").asInt(), again.toString());
        cli.ok("verify", url, "--endpoint", rgw.endpoint());
    }

    @Test
    void aPulledSetVerifiesAndAPulledPointHasOnlyItsFiles(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("set"));
        String url = pushed(dir, "pull");
        Path all = tmp.resolve("all");
        cli.ok("pull", url, all.toString(), "--endpoint", rgw.endpoint());
        for (String f : BackupSetFixture.FILES) {
            assertEquals(-1L, Files.mismatch(dir.resolve(f), all.resolve(f)), f);
        }
        cli.ok("verify", all.toString());

        Path point = tmp.resolve("point");
        JsonNode r = cli.ok("pull", url, point.toString(), "--endpoint", rgw.endpoint(), "--at", "2", "--json").json();
        assertEquals(3, r.get("backups").asInt(), r.toString());
        assertFalse(Files.exists(point.resolve(BackupSetFixture.FILES.get(3))), "the diff is no part of point 2");
        cli.ok("verify", point.toString());
        JsonNode list = cli.ok("list", point.toString(), "--json").json();
        assertEquals(3, list.get("backups").size(), list.toString());

        CliDriver.Result notEmpty = cli.run("pull", url, point.toString(), "--endpoint", rgw.endpoint());
        assertEquals(1, notEmpty.exitCode(), notEmpty.toString());
        assertEquals("virtchain: " + point + " is not empty: pull into a new directory", notEmpty.stderr().strip());
    }
}
