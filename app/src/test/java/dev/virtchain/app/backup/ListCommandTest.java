package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.NightlySetFixture;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code virtchain list}: per point the backups whose files it reads, which records are bases left
 * by a prune and what a prune merged into a point, in text and JSON, on sets made by qemu-img and
 * pruned by a real {@code PruneRun}.
 */
class ListCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path root;

    private Path fourBackups() throws Exception {
        Path bk = Files.createDirectory(root.resolve("bk"));
        BackupSetFixture.write(bk, Checksum.CRC32C);
        return bk;
    }

    /** The output with the fixture's random set id replaced by {@code SETIDxxx}, as long. */
    private static String withSetId(Path bk, String out) throws Exception {
        return out.replace(ManifestFile.load(bk).setId(), "SETIDxxx");
    }

    @Test
    void aSetNeverPrunedListsAsBeforeWithTheChainEachPointReads() throws Exception {
        Path bk = fourBackups();
        assertEquals("""
                domain web01 (0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01), backup set SETIDxxx
                SEQ   LEVEL TIME                 PARENT CHECKPOINT              READS
                0     full  2026-11-20T23:00:00Z -      virtchain.SETIDxxx.0000 0
                      vda  vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                1     inc   2026-11-21T23:00:00Z 0      virtchain.SETIDxxx.0001 1 <- 0
                      vda  vda.0001.inc.qcow2 -> vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                2     inc   2026-11-22T23:00:00Z 1      virtchain.SETIDxxx.0002 2 <- 1 <- 0
                      vda  vda.0002.inc.qcow2 -> vda.0001.inc.qcow2  size 8.0 MiB, written 0.0 MiB
                3     diff  2026-11-23T23:00:00Z 0      virtchain.SETIDxxx.0003 3 <- 0
                      vda  vda.0003.diff.qcow2 -> vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                """, withSetId(bk, CLI.ok("list", bk.toString()).stdout()));
    }

    @Test
    void aPrunedSetSaysWhichRecordIsABaseAndWhatWasMergedIntoAPoint() throws Exception {
        Path bk = fourBackups();
        NightlySetFixture.prune(bk, RetentionPolicy.NONE.withKeepLast(2), Instant.parse("2026-11-24T12:00:00Z"));
        String out = withSetId(bk, CLI.ok("list", bk.toString()).stdout());
        assertEquals("""
                domain web01 (0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01), backup set SETIDxxx
                SEQ   LEVEL TIME                 PARENT CHECKPOINT              READS
                0     full  2026-11-20T23:00:00Z -      virtchain.SETIDxxx.0000 base: no restore point, read by 2, 3
                      vda  vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                2     inc   2026-11-22T23:00:00Z 0      virtchain.SETIDxxx.0002 2 <- 0, merged 1
                      vda  vda.0002.inc.qcow2 -> vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                3     diff  2026-11-23T23:00:00Z 0      virtchain.SETIDxxx.0003 3 <- 0
                      vda  vda.0003.diff.qcow2 -> vda.0000.full.qcow2  size 8.0 MiB, written 0.0 MiB
                """, out);
    }

    @Test
    void jsonOfAPrunedSetCarriesReadsMergedAndBases() throws Exception {
        Path bk = fourBackups();
        NightlySetFixture.prune(bk, RetentionPolicy.NONE.withKeepLast(2), Instant.parse("2026-11-24T12:00:00Z"));
        String out = withSetId(bk, CLI.ok("list", "--json", bk.toString()).stdout())
                .replaceAll("\"crc32c\": \"[0-9a-f]{8}\"", "\"crc32c\": \"CRC\"");
        assertEquals("""
                {
                    "domain": "web01",
                    "uuid": "0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01",
                    "set-id": "SETIDxxx",
                    "backups": [
                        {
                            "seq": 0,
                            "level": "full",
                            "time": "2026-11-20T23:00:00Z",
                            "parent": null,
                            "checkpoint": "virtchain.SETIDxxx.0000",
                            "base": true,
                            "read-by": [
                                2,
                                3
                            ],
                            "merged": [
                            ],
                            "reads": {
                                "vda": [
                                    "vda.0000.full.qcow2"
                                ]
                            },
                            "disks": [
                                {
                                    "target": "vda",
                                    "file": "vda.0000.full.qcow2",
                                    "backing-file": null,
                                    "virtual-size": 8388608,
                                    "bytes-written": 0,
                                    "mode": "full",
                                    "crc32c": "CRC"
                                }
                            ]
                        },
                        {
                            "seq": 2,
                            "level": "inc",
                            "time": "2026-11-22T23:00:00Z",
                            "parent": 0,
                            "checkpoint": "virtchain.SETIDxxx.0002",
                            "merged": [
                                1
                            ],
                            "reads": {
                                "vda": [
                                    "vda.0002.inc.qcow2",
                                    "vda.0000.full.qcow2"
                                ]
                            },
                            "disks": [
                                {
                                    "target": "vda",
                                    "file": "vda.0002.inc.qcow2",
                                    "backing-file": "vda.0000.full.qcow2",
                                    "virtual-size": 8388608,
                                    "bytes-written": 0,
                                    "mode": "incremental",
                                    "crc32c": "CRC"
                                }
                            ]
                        },
                        {
                            "seq": 3,
                            "level": "diff",
                            "time": "2026-11-23T23:00:00Z",
                            "parent": 0,
                            "checkpoint": "virtchain.SETIDxxx.0003",
                            "merged": [
                            ],
                            "reads": {
                                "vda": [
                                    "vda.0003.diff.qcow2",
                                    "vda.0000.full.qcow2"
                                ]
                            },
                            "disks": [
                                {
                                    "target": "vda",
                                    "file": "vda.0003.diff.qcow2",
                                    "backing-file": "vda.0000.full.qcow2",
                                    "virtual-size": 8388608,
                                    "bytes-written": 0,
                                    "mode": "incremental",
                                    "crc32c": "CRC"
                                }
                            ]
                        }
                    ],
                    "bases": [
                        0
                    ]
                }
                """, out);
    }

    @Test
    void twentyNightsPrunedToAWeekListOneLinePerPointAndDisk() throws Exception {
        Path bk = Files.createDirectory(root.resolve("web01"));
        NightlySetFixture.write(bk, 20);
        NightlySetFixture.prune(bk, RetentionPolicy.NONE.withKeepDaily(7), Instant.parse("2026-11-20T12:00:00Z"));
        assertEquals("""
                domain web01 (0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01), backup set 7a3f9c21
                SEQ   LEVEL TIME                 PARENT CHECKPOINT              READS
                0     full  2026-11-01T01:30:00Z -      virtchain.7a3f9c21.0000 base: no restore point, read by 13..19
                      vda  vda.0000.full.qcow2  size 4.0 MiB, written 1.0 MiB
                      vdb  vdb.0000.full.qcow2  size 4.0 MiB, written 0.5 MiB
                13    inc   2026-11-14T01:30:00Z 0      virtchain.7a3f9c21.0013 13 <- 0, merged 7..12
                      vda  vda.0013.inc.qcow2 -> vda.0000.full.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0013.inc.qcow2 -> vdb.0000.full.qcow2  size 4.0 MiB, written 0.1 MiB
                14    diff  2026-11-15T01:30:00Z 0      virtchain.7a3f9c21.0014 14 <- 0
                      vda  vda.0014.diff.qcow2 -> vda.0000.full.qcow2  size 4.0 MiB, written 0.9 MiB
                      vdb  vdb.0014.diff.qcow2 -> vdb.0000.full.qcow2  size 4.0 MiB, written 0.9 MiB
                15    inc   2026-11-16T01:30:00Z 14     virtchain.7a3f9c21.0015 15 <- 14 <- 0
                      vda  vda.0015.inc.qcow2 -> vda.0014.diff.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0015.inc.qcow2 -> vdb.0014.diff.qcow2  size 4.0 MiB, written 0.1 MiB
                16    inc   2026-11-17T01:30:00Z 15     virtchain.7a3f9c21.0016 16 <- 15 <- 14 <- 0
                      vda  vda.0016.inc.qcow2 -> vda.0015.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0016.inc.qcow2 -> vdb.0015.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                17    inc   2026-11-18T01:30:00Z 16     virtchain.7a3f9c21.0017 17..14 <- 0
                      vda  vda.0017.inc.qcow2 -> vda.0016.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0017.inc.qcow2 -> vdb.0016.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                18    inc   2026-11-19T01:30:00Z 17     virtchain.7a3f9c21.0018 18..14 <- 0
                      vda  vda.0018.inc.qcow2 -> vda.0017.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0018.inc.qcow2 -> vdb.0017.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                19    inc   2026-11-20T01:30:00Z 18     virtchain.7a3f9c21.0019 19..14 <- 0
                      vda  vda.0019.inc.qcow2 -> vda.0018.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                      vdb  vdb.0019.inc.qcow2 -> vdb.0018.inc.qcow2  size 4.0 MiB, written 0.1 MiB
                """, CLI.ok("list", bk.toString()).stdout());
    }

    @Test
    void aDiskWhoseChainIsShorterThanItsPointsSaysWhatItReads() throws Exception {
        Path bk = Files.createDirectory(root.resolve("bk"));
        Checksum none = new Checksum(Checksum.CRC32C, "00000000");
        DiskBackup vda0 = new DiskBackup("vda", "vda.0000.full.qcow2", 1L << 30, null, 1L << 20, none, DiskMode.FULL);
        DiskBackup vda1 = new DiskBackup("vda", "vda.0001.inc.qcow2", 1L << 30, vda0.file(), 1L << 20, none,
                DiskMode.INCREMENTAL);
        DiskBackup vdb1 = new DiskBackup("vdb", "vdb.0001.inc.qcow2", 1L << 30, null, 1L << 20, none, DiskMode.FULL);
        DiskBackup vda2 = new DiskBackup("vda", "vda.0002.inc.qcow2", 1L << 30, vda1.file(), 1L << 20, none,
                DiskMode.INCREMENTAL);
        DiskBackup vdb2 = new DiskBackup("vdb", "vdb.0002.inc.qcow2", 1L << 30, vdb1.file(), 1L << 20, none,
                DiskMode.INCREMENTAL);
        Instant t = Instant.parse("2026-11-01T01:30:00Z");
        Manifest m = Manifest.empty("5e7a1c2b", new Domain("web01", UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")))
                .with(new Backup(0, Level.FULL, t, "virtchain.5e7a1c2b.0000", null, List.of(vda0)))
                .with(new Backup(1, Level.INC, t.plusSeconds(86400), "virtchain.5e7a1c2b.0001", 0, List.of(vda1, vdb1)))
                .with(new Backup(2, Level.INC, t.plusSeconds(2 * 86400), "virtchain.5e7a1c2b.0002", 1,
                        List.of(vda2, vdb2)));
        ManifestFile.write(bk, m);
        assertEquals("""
                domain web01 (0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01), backup set 5e7a1c2b
                SEQ   LEVEL TIME                 PARENT CHECKPOINT              READS
                0     full  2026-11-01T01:30:00Z -      virtchain.5e7a1c2b.0000 0
                      vda  vda.0000.full.qcow2  size 1024.0 MiB, written 1.0 MiB
                1     inc   2026-11-02T01:30:00Z 0      virtchain.5e7a1c2b.0001 1 <- 0
                      vda  vda.0001.inc.qcow2 -> vda.0000.full.qcow2  size 1024.0 MiB, written 1.0 MiB
                      vdb  vdb.0001.inc.qcow2  size 1024.0 MiB, written 1.0 MiB (full copy: new disk)
                2     inc   2026-11-03T01:30:00Z 1      virtchain.5e7a1c2b.0002 2 <- 1 <- 0
                      vda  vda.0002.inc.qcow2 -> vda.0001.inc.qcow2  size 1024.0 MiB, written 1.0 MiB
                      vdb  vdb.0002.inc.qcow2 -> vdb.0001.inc.qcow2  size 1024.0 MiB, written 1.0 MiB, reads 2 <- 1
                """, CLI.ok("list", bk.toString()).stdout());
        JsonNode reads = CLI.ok("list", "--json", bk.toString()).json().get("backups").get(2).get("reads");
        assertEquals("{\"vda\":[\"vda.0002.inc.qcow2\",\"vda.0001.inc.qcow2\",\"vda.0000.full.qcow2\"],"
                + "\"vdb\":[\"vdb.0002.inc.qcow2\",\"vdb.0001.inc.qcow2\"]}", reads.toString());
    }

    @Test
    void chainsAndSetsOfSeqsAreCompacted() {
        assertEquals("0", ListCommand.chain(List.of(0)));
        assertEquals("2 <- 1 <- 0", ListCommand.chain(List.of(2, 1, 0)));
        assertEquals("19..14 <- 0", ListCommand.chain(List.of(19, 18, 17, 16, 15, 14, 0)));
        assertEquals("9 <- 7..4 <- 2 <- 1", ListCommand.chain(List.of(9, 7, 6, 5, 4, 2, 1)));
        assertEquals("1, 2, 3", ListCommand.set(List.of(3, 2, 1)));
        assertEquals("0, 7..12, 20", ListCommand.set(List.of(12, 11, 10, 9, 8, 7, 0, 20)));
    }
}
