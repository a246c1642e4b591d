package dev.virtchain.chain;

/**
 * One disk of one finished backup, as the manifest records it.
 *
 * @param target       the libvirt target dev ({@code vda})
 * @param file         the backup file, a plain name in the backup directory
 * @param virtualSize  the disk's guest-visible size at that backup, in bytes
 * @param backingFile  the backing name as stored in the file's qcow2 header (relative), or null
 *                     for a disk backed up in full
 * @param bytesWritten bytes the backup job wrote for this disk
 * @param checksum     the finished file's checksum
 * @param mode         full, or incremental on top of the parent backup's file for this disk
 */
public record DiskBackup(String target, String file, long virtualSize, String backingFile, long bytesWritten,
        Checksum checksum, DiskMode mode) {
    public DiskBackup {
        Naming.requireDiskTarget(target);
        if (!Naming.isPlainFileName(file)) {
            throw new IllegalArgumentException("'" + file + "' is not a plain file name");
        }
        if (virtualSize <= 0) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " is not positive");
        }
        if (bytesWritten < 0) {
            throw new IllegalArgumentException("bytes written " + bytesWritten + " is negative");
        }
        if (checksum == null) {
            throw new IllegalArgumentException("checksum is missing");
        }
        if (mode == null) {
            throw new IllegalArgumentException("mode is missing");
        }
        if (mode == DiskMode.FULL && backingFile != null) {
            throw new IllegalArgumentException("a disk backed up in full has no backing file, not '"
                    + backingFile + "'");
        }
        if (mode == DiskMode.INCREMENTAL && !Naming.isPlainFileName(backingFile)) {
            throw new IllegalArgumentException("an incremental disk needs a backing file in the directory, not '"
                    + backingFile + "'");
        }
    }
}
