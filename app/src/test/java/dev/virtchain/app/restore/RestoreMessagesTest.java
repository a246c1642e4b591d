package dev.virtchain.app.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The errors restore and verify print name what the user knows, on one line: the restored file
 * (never the temporary name it is written under), the backup file, the option. Each test lays
 * out a backup directory of one full backup of disk vda, made by qemu-img.
 */
class RestoreMessagesTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path root;

    /**
     * A backup directory {@code root/bk} whose backup 0 is {@code vda.0000.full.qcow2} as qemu-img
     * creates it with {@code options}, then qemu-io writes {@code write} into it (when not null).
     */
    private Path backupOf(String size, String write, String... options) throws Exception {
        Path bk = Files.createDirectory(root.resolve("bk"));
        List<String> args = new java.util.ArrayList<>(List.of("create", "-q", "-f", "qcow2"));
        args.addAll(List.of(options));
        args.addAll(List.of("vda.0000.full.qcow2", size));
        Qemu.img(bk, args.toArray(String[]::new));
        if (write != null) {
            Qemu.io(bk, "-c", write, "vda.0000.full.qcow2");
        }
        String set = Naming.newSetId();
        long virtualSize = Long.parseLong(Qemu.img(bk, "info", "--output=json", "vda.0000.full.qcow2")
                .replaceAll("(?s).*\"virtual-size\": (\\d+).*", "$1"));
        DiskBackup d = new DiskBackup("vda", "vda.0000.full.qcow2", virtualSize, null, 0,
                Checksum.sha256(bk.resolve("vda.0000.full.qcow2")), DiskMode.of("full"));
        Manifest m = Manifest.empty(set, new Domain("web01", UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")))
                .with(new Backup(0, Level.FULL, Instant.parse("2026-11-20T23:00:00Z"), Naming.checkpointName(set, 0),
                        null, List.of(d)));
        ManifestFile.write(bk, m);
        Files.writeString(bk.resolve(Naming.domainXml(0)), BackupSetFixture.DOMAIN_XML);
        return bk;
    }

    private static List<String> filesIn(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theDefineHintNamesTheUriTheBackupWasMadeThroughUnlessCSaysOtherwise() throws Exception {
        Path bk = backupOf("1M", "write -P 0x31 0 64k");
        Manifest m = ManifestFile.load(bk);
        ManifestFile.write(bk, m.withDomain(new Domain(m.domain().name(), m.domain().uuid(),
                "qemu:///embed?root=/tmp/vc-lab/libvirt")));
        Path out = root.resolve("out");
        String xml = out.toAbsolutePath().resolve("web01-restored-0.xml").toString();
        CliDriver.Result r = CLI.ok("restore", bk.toString(), "-o", out.toString());
        assertTrue(r.stdout().contains("\nto define it: virsh -c 'qemu:///embed?root=/tmp/vc-lab/libvirt' define "
                + xml + "\n"), r::toString);
        Qemu.assertClean(out.resolve("vda.qcow2"));
        CliDriver.Result system = CLI.ok("restore", bk.toString(), "-o", root.resolve("out2").toString(), "-c",
                "qemu:///system");
        assertTrue(system.stdout().contains("\nto define it: virsh define "), system::toString);
    }

    @Test
    void aDiskTooLargeForTheRestoredImagesClustersNamesTheRestoredFile() throws Exception {
        Path bk = backupOf("128P", null, "-o", "cluster_size=2M");
        Path out = root.resolve("out");
        CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", out.toString());
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + out.toAbsolutePath().resolve("vda.qcow2") + ": size 144115188075855872 is too"
                + " large for 65536-byte clusters (at most 2251799813685248)\n", r.stderr());
        assertEquals(List.of(), filesIn(out), "no temporary file is left");
    }

    @Test
    void aRestoreThatCannotWriteNamesTheRestoredFile() throws Exception {
        backupOf("64M", "write -P 0x31 0 4M");
        CliDriver.Result r = CLI.in(root).withSmallFileLimit().run("restore", "bk", "-o", "out", "--no-reflink");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + root.resolve("out/vda.qcow2") + ": File too large\n", r.stderr());
        assertEquals(List.of(), filesIn(root.resolve("out")), "no temporary file is left");
    }

    @Test
    void anAtThatIsNoPointInTimeIsAUsageErrorNamingTheOption() throws Exception {
        Path bk = backupOf("1M", null);
        String notATime = "'2025-13-45' is not an ISO-8601 time with a zone, such as 2025-03-05T02:00:00Z or"
                + " 2025-03-05T03:00:00+01:00";
        CliDriver.Result r = CLI.run("restore", bk.toString(), "-o", root.resolve("out").toString(),
                "--at", "2025-13-45");
        assertEquals(2, r.exitCode());
        assertEquals("virtchain: --at 2025-13-45: " + notATime + "\n"
                + "Try 'virtchain restore --help' for more information.\n", r.stderr());
        r = CLI.run("boot", bk.toString(), "--at", "2025-13-45");
        assertEquals(2, r.exitCode());
        assertEquals("virtchain: --at 2025-13-45: " + notATime + "\n"
                + "Try 'virtchain boot --help' for more information.\n", r.stderr());
        r = CLI.run("verify", bk.toString(), "--at", "99999999999");
        assertEquals(2, r.exitCode());
        assertEquals("virtchain: --at 99999999999: seq 99999999999 is too large\n"
                + "Try 'virtchain verify --help' for more information.\n", r.stderr());
    }

    @Test
    void verifyShowsABackingNameFromAHeaderEscaped() throws Exception {
        Path bk = backupOf("1M", null, "-u", "-b", "x\ny.qcow2", "-F", "qcow2");
        CliDriver.Result r = CLI.run("verify", bk.toString());
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: vda.0000.full.qcow2 links to 'x\\ny.qcow2' in its qcow2 header, but the manifest says"
                + " no backing file\n", r.stderr());
    }
}
