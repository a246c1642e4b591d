package dev.virtchain.xml;

import java.util.Objects;

/**
 * One {@code <disk>} of a push-mode {@code <domainbackup>}.
 *
 * @param name        the domain disk's target dev, e.g. {@code vda}
 * @param backup      false writes {@code backup='no'}: the disk is left out of this backup
 * @param mode        per-disk {@code backupmode}, or null to follow the backup as a whole
 * @param incremental per-disk checkpoint to back up changes since, or null for the backup's own
 * @param targetFile  absolute path of the pre-created file qemu writes into (null when skipped)
 * @param driverType  format of the target file, {@code qcow2} for virtchain (null when skipped)
 */
public record BackupDisk(String name, boolean backup, DiskBackupMode mode, String incremental,
                         String targetFile, String driverType) {

    public BackupDisk {
        requireText(name, "disk name");
        if (!backup) {
            if (mode != null || incremental != null || targetFile != null || driverType != null) {
                throw new IllegalArgumentException(
                        "disk '" + name + "' is skipped (backup='no'): it takes no mode, checkpoint, target or driver");
            }
        } else {
            requireText(targetFile, "target file of disk '" + name + "'");
            if (!targetFile.startsWith("/")) {
                // libvirt's schema: absFilePath; qemu resolves nothing relative to us.
                throw new IllegalArgumentException(
                        "target file of disk '" + name + "' must be absolute: " + targetFile);
            }
            requireText(driverType, "driver type of disk '" + name + "'");
            if (mode == DiskBackupMode.FULL && incremental != null) {
                throw new IllegalArgumentException(
                        "disk '" + name + "' has backupmode='full' and incremental='" + incremental
                                + "': a full disk copy takes no checkpoint");
            }
            if (incremental != null) {
                requireText(incremental, "incremental checkpoint of disk '" + name + "'");
            }
        }
    }

    /** A disk backed up into the qcow2 file {@code targetFile}, following the backup's mode. */
    public static BackupDisk file(String name, String targetFile) {
        return new BackupDisk(name, true, null, null, targetFile, "qcow2");
    }

    /** A disk left out of the backup ({@code backup='no'}). */
    public static BackupDisk skipped(String name) {
        return new BackupDisk(name, false, null, null, null, null);
    }

    /** This disk with a full copy inside an incremental backup ({@code backupmode='full'}). */
    public BackupDisk withFullCopy() {
        return new BackupDisk(name, backup, DiskBackupMode.FULL, null, targetFile, driverType);
    }

    /** This disk backing up the changes since {@code checkpoint}, whatever the backup's own. */
    public BackupDisk withIncrementalSince(String checkpoint) {
        return new BackupDisk(name, backup, DiskBackupMode.INCREMENTAL, checkpoint, targetFile, driverType);
    }

    static void requireText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException(what + " is blank");
        }
    }
}
