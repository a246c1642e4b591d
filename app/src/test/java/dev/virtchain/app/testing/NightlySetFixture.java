package dev.virtchain.app.testing;

import dev.virtchain.app.prune.Prune;
import dev.virtchain.app.prune.PruneRun;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Domain;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A backup directory as a nightly {@code virtchain backup} leaves it, files made by qemu-img and
 * manifest by the chain module: domain {@code web01} with disks {@code vda} and {@code vdb} of 4 MiB,
 * backup 0 a full, every seventh night (7, 14, ...) a diff on the full, every other night an inc on
 * the night before, taken at 01:30 UTC from {@value #FIRST}, one a night. The full holds 1 MiB of
 * 0x10 on vda and 512 KiB of 0x20 on vdb; night N writes 64 KiB of byte N at N * 64 KiB on both.
 * The set id is {@value #SET_ID}, so checkpoint names are known; files are read-only, as a backup
 * leaves them.
 */
public final class NightlySetFixture {
    public static final String SET_ID = "7a3f9c21";
    public static final String FIRST = "2026-11-01T01:30:00Z";
    public static final List<String> DISKS = List.of("vda", "vdb");

    private NightlySetFixture() {
    }

    /** The level of night {@code seq}. */
    public static Level level(int seq) {
        return seq == 0 ? Level.FULL : seq % 7 == 0 ? Level.DIFF : Level.INC;
    }

    /** Writes {@code nights} backups into {@code dir} (which must exist), checksums in CRC-32C. */
    public static void write(Path dir, int nights) throws IOException {
        Manifest m = Manifest.empty(SET_ID, new Domain("web01", UUID.fromString("0b5a6b1e-3c7e-4d2e-9a53-1f0f0f0f0f01")));
        for (int seq = 0; seq < nights; seq++) {
            Level level = level(seq);
            Integer parent = seq == 0 ? null : level == Level.DIFF ? 0 : seq - 1;
            List<DiskBackup> disks = new ArrayList<>();
            for (String disk : DISKS) {
                String file = Naming.diskFile(disk, seq, level);
                String backing = parent == null ? null : Naming.diskFile(disk, parent, level(parent));
                long written;
                if (parent == null) {
                    Qemu.img(dir, "create", "-q", "-f", "qcow2", file, "4M");
                    written = disk.equals("vda") ? 1 << 20 : 512 << 10;
                    Qemu.io(dir, "-c", "write -P " + (disk.equals("vda") ? "0x10" : "0x20") + " 0 " + written, file);
                } else {
                    Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", file);
                    written = 64 << 10;
                    if (level == Level.DIFF) { // what every night since the full wrote
                        for (int n = 1; n < seq; n++) {
                            Qemu.io(dir, "-c", "write -P " + n + " " + n * 64 + "k 64k", file);
                        }
                        written = (long) seq * (64 << 10);
                    }
                    Qemu.io(dir, "-c", "write -P " + seq + " " + seq * 64 + "k 64k", file);
                }
                disks.add(new DiskBackup(disk, file, 4L << 20, backing, written,
                        Checksum.of(Checksum.CRC32C, dir.resolve(file)), parent == null ? DiskMode.FULL : DiskMode.INCREMENTAL));
            }
            Instant time = Instant.parse(FIRST).plus(Duration.ofDays(seq));
            m = m.with(new Backup(seq, level, time, Naming.checkpointName(SET_ID, seq), parent, disks));
            Files.writeString(dir.resolve(Naming.domainXml(seq)), BackupSetFixture.DOMAIN_XML);
        }
        ManifestFile.write(dir, m);
        for (Backup b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                Files.setPosixFilePermissions(dir.resolve(d.file()), PosixFilePermissions.fromString("r--------"));
            }
        }
    }

    /**
     * Prunes the set in {@code dir} (this one or any other) under {@code policy} as {@code virtchain
     * prune} does, periods counted in UTC and {@code now} being now; no libvirt is asked to delete a
     * checkpoint. Then qemu-img checks every file the manifest names.
     */
    public static void prune(Path dir, RetentionPolicy policy, Instant now) throws Exception {
        Manifest m = ManifestFile.load(dir);
        Map<String, Long> sizes = Prune.sizes(dir, m);
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        PrunePlan plan = PrunePlan.of(m, policy, clock, sizes);
        if (!new PruneRun(dir, (checkpoint, done) -> { }).run(m, plan, now).complete()) {
            throw new AssertionError("the prune of " + dir + " did not complete");
        }
        assertClean(dir);
    }

    /** qemu-img check finds every file the manifest of {@code dir} names clean (the merged ones too). */
    public static void assertClean(Path dir) throws Exception {
        for (Backup b : ManifestFile.load(dir).backups()) {
            for (DiskBackup d : b.disks()) {
                Qemu.assertClean(dir.resolve(d.file()));
            }
        }
    }
}
