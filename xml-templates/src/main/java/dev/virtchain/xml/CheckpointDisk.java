package dev.virtchain.xml;

/**
 * One {@code <disk>} of a {@code <domaincheckpoint>}.
 *
 * @param name   the domain disk's target dev, e.g. {@code vda}
 * @param bitmap true for {@code checkpoint='bitmap'}, false for {@code checkpoint='no'}
 * @param bitmapName the qcow2 persistent bitmap's name, or null to let libvirt use the
 *                   checkpoint's name (always null when {@code bitmap} is false)
 * @param size   bytes changed since the checkpoint, present only when libvirt was asked for
 *               it ({@code VIR_DOMAIN_CHECKPOINT_XML_SIZE}); null otherwise
 */
public record CheckpointDisk(String name, boolean bitmap, String bitmapName, Long size) {

    public CheckpointDisk {
        BackupDisk.requireText(name, "checkpoint disk name");
        if (!bitmap && (bitmapName != null || size != null)) {
            throw new IllegalArgumentException(
                    "checkpoint disk '" + name + "' has checkpoint='no' and so no bitmap name or size");
        }
    }

    /** A disk tracked by a bitmap of the checkpoint's own name. */
    public static CheckpointDisk tracked(String name) {
        return new CheckpointDisk(name, true, null, null);
    }

    /** A disk tracked by a bitmap named {@code bitmapName}. */
    public static CheckpointDisk tracked(String name, String bitmapName) {
        return new CheckpointDisk(name, true, bitmapName, null);
    }

    /** A disk the checkpoint leaves out ({@code checkpoint='no'}), e.g. a raw disk. */
    public static CheckpointDisk untracked(String name) {
        return new CheckpointDisk(name, false, null, null);
    }
}
