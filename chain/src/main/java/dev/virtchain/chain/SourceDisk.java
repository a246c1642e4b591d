package dev.virtchain.chain;

/**
 * A disk of the domain to back up now.
 *
 * @param target        the libvirt target dev ({@code vda})
 * @param virtualSize   its guest-visible size now, in bytes
 * @param bitmapCapable whether its source format can carry dirty bitmaps (qcow2 can, raw cannot)
 */
public record SourceDisk(String target, long virtualSize, boolean bitmapCapable) {
    public SourceDisk {
        Naming.requireDiskTarget(target);
        if (virtualSize <= 0) {
            throw new IllegalArgumentException("disk " + target + ": virtual size " + virtualSize + " is not positive");
        }
    }
}
