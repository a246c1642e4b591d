package dev.virtchain.chain;

import static dev.virtchain.chain.RequestedLevel.COPY;
import static dev.virtchain.chain.RequestedLevel.DIFF;
import static dev.virtchain.chain.RequestedLevel.FULL;
import static dev.virtchain.chain.RequestedLevel.INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestFileTest {
    @TempDir
    Path dir;

    /**
     * A format 1 manifest written by hand: a full of two disks, then an inc in which vdb is
     * incremental and vdc (added since) is backed up in full.
     */
    static final String VALID = """
            {
              "format" : 1,
              "setId" : "5e7a1c2b",
              "domain" : {
                "name" : "vm1",
                "uuid" : "0f3c2a9e-6b1d-4c55-9a77-2b8e1d4f6a10"
              },
              "backups" : [ {
                "seq" : 0,
                "level" : "full",
                "time" : "2025-03-03T02:00:00Z",
                "checkpoint" : "virtchain.5e7a1c2b.0000",
                "parentSeq" : null,
                "disks" : [ {
                  "target" : "vda",
                  "file" : "vda.0000.full.qcow2",
                  "virtualSize" : 10737418240,
                  "backingFile" : null,
                  "bytesWritten" : 1048576,
                  "checksum" : {
                    "algorithm" : "sha256",
                    "value" : "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                  },
                  "mode" : "full"
                } ]
              }, {
                "seq" : 1,
                "level" : "inc",
                "time" : "2025-03-04T02:00:00Z",
                "checkpoint" : "virtchain.5e7a1c2b.0001",
                "parentSeq" : 0,
                "disks" : [ {
                  "target" : "vda",
                  "file" : "vda.0001.inc.qcow2",
                  "virtualSize" : 10737418240,
                  "backingFile" : "vda.0000.full.qcow2",
                  "bytesWritten" : 65536,
                  "checksum" : {
                    "algorithm" : "sha256",
                    "value" : "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
                  },
                  "mode" : "incremental"
                }, {
                  "target" : "vdc",
                  "file" : "vdc.0001.inc.qcow2",
                  "virtualSize" : 1073741824,
                  "backingFile" : null,
                  "bytesWritten" : 0,
                  "checksum" : {
                    "algorithm" : "sha256",
                    "value" : "0000000000000000000000000000000000000000000000000000000000000000"
                  },
                  "mode" : "full"
                } ]
              } ]
            }
            """;

    private Manifest decode(String json) throws ManifestException {
        return ManifestJson.decode("virtchain.json", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aHandWrittenFormat1ManifestReadsFieldByField() throws Exception {
        Manifest m = decode(VALID);
        assertEquals("5e7a1c2b", m.setId());
        assertEquals(BackupRuns.VM, m.domain());
        Backup inc = m.backup(1).orElseThrow();
        assertEquals(Level.INC, inc.level());
        assertEquals(Instant.parse("2025-03-04T02:00:00Z"), inc.time());
        assertEquals("virtchain.5e7a1c2b.0001", inc.checkpoint());
        assertEquals(0, inc.parentSeq());
        assertEquals(new DiskBackup("vda", "vda.0001.inc.qcow2", 10L << 30, "vda.0000.full.qcow2", 65536,
                new Checksum("sha256", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"),
                DiskMode.INCREMENTAL), inc.disk("vda").orElseThrow());
        assertEquals(DiskMode.FULL, inc.disk("vdc").orElseThrow().mode());
        assertEquals(VALID, new String(ManifestJson.encode(m), StandardCharsets.UTF_8),
                "we write exactly this layout back");
    }

    @Test
    void theUriTheLatestBackupWasMadeThroughIsKeptWhenKnownAndOptional() throws Exception {
        Manifest m = decode(VALID);
        assertEquals(null, m.domain().uri(), "a manifest without it reads as unknown");
        Manifest with = m.withDomain(new Domain(m.domain().name(), m.domain().uuid(), "qemu:///embed?root=/x"));
        ManifestFile.write(dir, with);
        assertEquals(with, ManifestFile.load(dir));
        assertTrue(Files.readString(dir.resolve("virtchain.json")).contains("\"uri\" : \"qemu:///embed?root=/x\""));
    }

    @Test
    void anUnknownFormatVersionIsAClearErrorNamingTheFileAndTheField() throws Exception {
        Files.writeString(dir.resolve("virtchain.json"), VALID.replace("\"format\" : 1", "\"format\" : 3"));
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestFile.read(dir));
        assertEquals(dir.resolve("virtchain.json") + ": format: 3 is not a manifest format this virtchain reads"
                + " (it reads formats 1 and 2); a newer virtchain wrote it: use that version", e.getMessage());
        assertEquals(ErrorKind.UNSUPPORTED, e.kind());
    }

    /** Each rejection rule, each by one change to the valid manifest. */
    static Stream<Arguments> oneChange() {
        return Stream.of(
                Arguments.of("\"format\" : 1,", "", "format: missing"),
                Arguments.of("\"format\" : 1", "\"format\" : \"1\"", "format: \"1\" is not a manifest format"),
                Arguments.of("\"setId\" : \"5e7a1c2b\"", "\"setId\" : \"5E7A\"", "setId: '5E7A' is not a set id"),
                Arguments.of("\"name\" : \"vm1\"", "\"name\" : \"\"", "domain: domain name is empty"),
                Arguments.of("0f3c2a9e-6b1d", "0f3c2a9e-6b1x", "domain.uuid: '0f3c2a9e-6b1x-4c55-9a77-2b8e1d4f6a10'"
                        + " is not a UUID"),
                Arguments.of("\"seq\" : 0", "\"seq\" : 5", "backups[1].seq: 1 is not above the seq before it (5)"),
                Arguments.of("\"parentSeq\" : 0,", "\"parentSeq\" : 1,", "backups[1]: parent seq 1 is not before seq 1"),
                Arguments.of("\"seq\" : 1", "\"seq\" : 1.5", "backups[1].seq: 1.5 is not a whole number"),
                Arguments.of("\"level\" : \"inc\"", "\"level\" : \"weekly\"", "backups[1].level: 'weekly' is not a"
                        + " backup level (full, inc, diff or copy)"),
                Arguments.of("2025-03-04T02:00:00Z", "2025-03-04 02:00", "backups[1].time: '2025-03-04 02:00' is not"
                        + " an ISO-8601 UTC time"),
                Arguments.of("\"checkpoint\" : \"virtchain.5e7a1c2b.0001\"", "\"checkpoint\" : null",
                        "backups[1]: an inc backup needs its checkpoint"),
                Arguments.of("\"checkpoint\" : \"virtchain.5e7a1c2b.0001\"",
                        "\"checkpoint\" : \"virtchain.5e7a1c2b.0000\"", "backups[1].checkpoint: virtchain.5e7a1c2b.0000"
                        + " is already the checkpoint of an earlier backup"),
                Arguments.of("\"parentSeq\" : 0,", "\"parentSeq\" : null,", "backups[1]: an inc backup needs its parent"),
                Arguments.of("\"level\" : \"inc\"", "\"level\" : \"copy\"", "backups[1]: a copy has no checkpoint"),
                Arguments.of("\"file\" : \"vda.0001.inc.qcow2\"", "\"file\" : \"../vda.0001.inc.qcow2\"",
                        "backups[1].disks[0]: '../vda.0001.inc.qcow2' is not a plain file name"),
                Arguments.of("\"file\" : \"vda.0001.inc.qcow2\"", "\"file\" : \"vda.0000.full.qcow2\"",
                        "backups[1].disks[0].file: vda.0000.full.qcow2 is already the file of another disk"),
                Arguments.of("\"backingFile\" : \"vda.0000.full.qcow2\"", "\"backingFile\" : \"vda.0009.full.qcow2\"",
                        "backups[1].disks[0].backingFile: vda.0009.full.qcow2 is not the parent's file for vda"
                                + " (vda.0000.full.qcow2)"),
                Arguments.of("\"target\" : \"vdc\"", "\"target\" : \"vda\"", "backups[1]: disk vda is listed twice"),
                Arguments.of("\"virtualSize\" : 1073741824,", "\"virtualSize\" : -1,",
                        "backups[1].disks[1]: virtual size -1 is not positive"),
                Arguments.of("\"mode\" : \"full\"\n    } ]\n  } ]", "\"mode\" : \"incremental\"\n    } ]\n  } ]",
                        "backups[1].disks[1]: an incremental disk needs a backing file"),
                Arguments.of("\"algorithm\" : \"sha256\"", "\"algorithm\" : \"SHA-256\"",
                        "backups[0].disks[0].checksum: checksum algorithm 'SHA-256' is not a name"),
                Arguments.of("\"bytesWritten\" : 0,", "\"bytesWritten\" : 0, \"extra\" : 1,",
                        "backups[1].disks[1].extra: unknown field"),
                Arguments.of("\"seq\" : 0,", "\"seq\" : 0, \"seq\" : 0,", "not valid JSON: Duplicate field 'seq'"),
                Arguments.of("\"parentSeq\" : 0,", "\"parentSeq\" : 0", "not valid JSON"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("oneChange")
    void eachRuleRejectsItsOneChange(String from, String to, String message) {
        String broken = VALID.replaceFirst(java.util.regex.Pattern.quote(from),
                java.util.regex.Matcher.quoteReplacement(to));
        assertTrue(!broken.equals(VALID), "the change applies: " + from);
        ManifestException e = assertThrows(ManifestException.class, () -> decode(broken));
        assertTrue(e.getMessage().startsWith("virtchain.json: " + message), e.getMessage());
    }

    @Test
    void aDiffWhoseParentIsNotAFullIsRejected() {
        String diff = VALID.replace("\"level\" : \"inc\"", "\"level\" : \"diff\"");
        Manifest ok = assertDoesNotThrow(() -> decode(diff));
        assertEquals(Level.DIFF, ok.backups().get(1).level());
        String onInc = diff.replace("\"level\" : \"full\"", "\"level\" : \"inc\"");
        ManifestException e = assertThrows(ManifestException.class, () -> decode(onInc));
        assertEquals("virtchain.json: backups[0]: an inc backup needs its parent seq", e.getMessage());
    }

    @Test
    void anIncWhoseParentIsNotInTheManifestIsRejected() {
        String orphan = VALID.replace("\"seq\" : 1", "\"seq\" : 3").replace("\"parentSeq\" : 0,", "\"parentSeq\" : 2,");
        ManifestException e = assertThrows(ManifestException.class, () -> decode(orphan));
        assertEquals("virtchain.json: backups[1].parentSeq: backup 2 is not in the manifest", e.getMessage());
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }

    @Test
    void whatIsWrittenReadsBackEqual() throws Exception {
        BackupRuns runs = new BackupRuns();
        for (RequestedLevel l : List.of(FULL, INC, INC, DIFF, COPY, INC, DIFF)) {
            runs.run(l);
        }
        ManifestFile.write(dir, runs.manifest);
        assertEquals(Optional.of(runs.manifest), ManifestFile.read(dir));
    }

    @Test
    void theManifestIsReplacedByARenameNeverRewrittenInPlace() throws Exception {
        BackupRuns runs = new BackupRuns();
        runs.run(FULL);
        ManifestFile.write(dir, runs.manifest);
        Path old = dir.resolve("old-link");
        Files.createLink(old, dir.resolve(Naming.MANIFEST));
        String before = Files.readString(old);
        runs.run(INC);
        ManifestFile.write(dir, runs.manifest);
        assertEquals(before, Files.readString(old), "the old inode was never written to");
        assertEquals(runs.manifest, ManifestFile.load(dir));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("old-link", "virtchain.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file left behind");
        }
    }

    @Test
    void theManifestIsReadableByItsOwnerOnly() throws Exception {
        BackupRuns runs = new BackupRuns();
        runs.run(FULL);
        ManifestFile.write(dir, runs.manifest);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve(Naming.MANIFEST))));
    }

    @Test
    void aFailedWriteLeavesTheOldManifest() throws Exception {
        BackupRuns runs = new BackupRuns();
        runs.run(FULL);
        ManifestFile.write(dir, runs.manifest);
        runs.run(INC);
        // The manifest's name is taken by a directory the rename cannot replace.
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.createDirectory(other.resolve(Naming.MANIFEST));
        assertThrows(java.io.IOException.class, () -> ManifestFile.write(other, runs.manifest));
        try (Stream<Path> files = Files.list(other)) {
            assertEquals(1, files.count(), "the temporary file is gone");
        }
    }

    @Test
    void aDirectoryWithoutAManifestHasNone() throws Exception {
        assertEquals(Optional.empty(), ManifestFile.read(dir));
        ManifestException e = assertThrows(ManifestException.class, () -> ManifestFile.load(dir));
        assertEquals(dir.resolve("virtchain.json") + ": does not exist; is " + dir
                + " a virtchain backup directory?", e.getMessage());
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
    }
}
