package dev.virtchain.chain;

/**
 * One target file a planned backup creates.
 *
 * @param target      the libvirt target dev
 * @param file        the final file name ({@code vda.0003.inc.qcow2})
 * @param virtualSize the target's virtual size: the disk's size now
 * @param backingFile the backing link to write into the target (relative name of the parent's
 *                    file for this disk, format qcow2), or null
 * @param mode        full, or incremental from the plan's incremental checkpoint
 */
public record PlannedDisk(String target, String file, long virtualSize, String backingFile, DiskMode mode) {

    /** The name the target is created under and written to until the job succeeded. */
    public String partialFile() {
        return Naming.partial(file);
    }

    /** The manifest record of this disk once its backup finished. */
    public DiskBackup done(long bytesWritten, Checksum checksum) {
        return new DiskBackup(target, file, virtualSize, backingFile, bytesWritten, checksum, mode);
    }
}
