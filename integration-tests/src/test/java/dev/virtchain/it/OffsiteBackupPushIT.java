package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.offsite.Bucket;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup --push} on a real guest into a real Ceph RGW: the nightly run backs up, prunes and
 * pushes in one command, and what is in the bucket restores to the disk as it was.
 */
class OffsiteBackupPushIT {
    @Test
    void theNightlyRunBacksUpPrunesAndPushesAndTheBucketRestoresTheNewestPoint(@TempDir Path dir) throws Exception {
        try (CephRgw rgw = CephRgw.start(dir.resolve("ceph"));
                CliGuest g = CliGuest.start(dir, "vc-offsite", 1, 16L << 20)) {
            Offsite.makeBucket(rgw, "nightly");
            Offsite.bucket(rgw, "s3://nightly/x").close(); // the keys in this JVM's aws.* properties
            String url = "s3://nightly/hosts/kvm1/vc-offsite";
            Path out = dir.resolve("backup");
            g.io.io("vda", "write -P 0x5a 0 1M");
            JsonNode full = g.backup(out, "--push", url, "--endpoint", rgw.endpoint());
            assertEquals("full", full.get("level").asText(), full.toString());

            g.io.io("vda", "write -P 0x6b 4M 1M");
            CliDriver.Result inc = g.run(out, "--keep-last", "1", "--push", url, "--endpoint", rgw.endpoint(),
                    "--delete-pruned");
            assertEquals(0, inc.exitCode(), inc.toString());
            try (Bucket b = Offsite.bucket(rgw, url)) {
                assertTrue(b.head("vda.0001.inc.qcow2").isPresent(), b.list().toString());
                assertFalse(b.head("vda.0000.full.qcow2").isPresent(), "pruned remote files are deleted: " + b.list());
                assertFalse(b.head("domain.0000.xml").isPresent(), "pruned remote files are deleted: " + b.list());
            }
            CliDriver cli = Offsite.cli(rgw);
            cli.ok("verify", url, "--endpoint", rgw.endpoint());
            Path fromBucket = dir.resolve("restored-remote");
            Path fromDir = dir.resolve("restored-local");
            cli.ok("restore", url, "--endpoint", rgw.endpoint(), "-o", fromBucket.toString());
            cli.ok("restore", out.toString(), "-o", fromDir.toString());
            Qemu.assertClean(fromBucket.resolve("vda.qcow2"));
            Qemu.img(dir, "compare", fromBucket.resolve("vda.qcow2").toString(), fromDir.resolve("vda.qcow2").toString());
        }
    }
}
