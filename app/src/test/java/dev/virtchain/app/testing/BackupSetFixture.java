package dev.virtchain.app.testing;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A backup directory laid out as a backup run leaves it, files made by qemu-img and manifest by
 * the chain module: {@code full <- inc <- inc}, with a diff beside them, one disk {@code vda}
 * of 8 MiB. The full holds 4 MiB of 0x10; the first inc 1 MiB of 0x11 at 1 MiB (16 data
 * clusters, after its metadata); the second inc zeroes 1 MiB at 2 MiB; the diff writes 64 KiB of
 * 0x13 at 6 MiB.
 */
public final class BackupSetFixture {
    public static final String DOMAIN_XML = """
            <domain type='qemu'>
              <name>web01</name>
              <uuid>0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01</uuid>
              <memory unit='MiB'>256</memory>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/libvirt/images/web01.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/libvirt/images/web01-scratch.qcow2'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
                <serial type='file'><source path='/var/log/web01-console.log'/><target port='0'/></serial>
                <interface type='network'><source network='default'/></interface>
              </devices>
            </domain>
            """;
    /** Each backup's file, by seq. */
    public static final List<String> FILES = List.of("vda.0000.full.qcow2", "vda.0001.inc.qcow2",
            "vda.0002.inc.qcow2", "vda.0003.diff.qcow2");

    private BackupSetFixture() {
    }

    /** Writes the backup set into {@code dir} (which must exist), checksums with {@code algorithm}. */
    /** {@link #write} with every image 0400, as backup leaves them. */
    public static void writeSealed(Path dir, String algorithm) throws IOException {
        write(dir, algorithm);
        for (String f : FILES) {
            Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("r--------"));
        }
    }

    /**
     * Every regular file of {@code dir} by name, with its bytes, but the locks and the last run's
     * record (which every run writes, failed ones too, for status): not backup data.
     */
    public static Map<String, byte[]> contents(Path dir) throws IOException {
        Map<String, byte[]> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String n = f.getFileName().toString();
                if (!n.equals(Naming.LOCK) && !n.equals(Naming.READERS_LOCK) && !n.equals(Naming.LAST_RUN)) {
                    all.put(n, Files.readAllBytes(f));
                }
            }
        }
        return all;
    }

    public static void write(Path dir, String algorithm) throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", FILES.get(0), "8M");
        Qemu.io(dir, "-c", "write -P 0x10 0 4M", FILES.get(0));
        layer(dir, FILES.get(1), FILES.get(0), "write -P 0x11 1M 1M");
        layer(dir, FILES.get(2), FILES.get(1), "write -z 2M 1M");
        layer(dir, FILES.get(3), FILES.get(0), "write -P 0x13 6M 64k");
        String set = Naming.newSetId();
        Manifest m = Manifest.empty(set, new Domain("web01", UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")));
        m = m.with(backup(dir, algorithm, set, 0, Level.FULL, null, null));
        m = m.with(backup(dir, algorithm, set, 1, Level.INC, 0, FILES.get(0)));
        m = m.with(backup(dir, algorithm, set, 2, Level.INC, 1, FILES.get(1)));
        m = m.with(backup(dir, algorithm, set, 3, Level.DIFF, 0, FILES.get(0)));
        ManifestFile.write(dir, m);
        for (int seq = 0; seq <= 3; seq++) {
            Files.writeString(dir.resolve(Naming.domainXml(seq)), DOMAIN_XML);
        }
    }

    private static void layer(Path dir, String file, String backing, String write) {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", file);
        Qemu.io(dir, "-c", write, file);
    }

    private static Backup backup(Path dir, String algorithm, String set, int seq, Level level, Integer parent,
            String backing) throws IOException {
        String file = FILES.get(seq);
        DiskBackup d = new DiskBackup("vda", file, 8L << 20, backing, 0, Checksum.of(algorithm, dir.resolve(file)),
                DiskMode.of(parent == null ? "full" : "incremental"));
        return new Backup(seq, level, Instant.parse("2026-11-2" + seq + "T23:00:00Z"),
                Naming.checkpointName(set, seq), parent, List.of(d));
    }
}
