package dev.virtchain.xml;

/**
 * One {@code <devices><disk>} of a domain, as far as backup and restore care.
 *
 * @param type         {@code file}, {@code block}, {@code network}, {@code volume}, ...
 * @param device       {@code disk}, {@code cdrom}, {@code floppy} or {@code lun}
 * @param driverName   {@code <driver name>}, e.g. {@code qemu}, or null
 * @param driverType   {@code <driver type>}: the image format, e.g. {@code qcow2} or {@code raw}, or null
 * @param discard      {@code <driver discard>}: {@code unmap} or {@code ignore}, or null
 * @param source       the file ({@code type='file'}) or device ({@code type='block'}) path; for
 *                     network disks the image name, for volumes {@code pool/volume}; null when empty
 * @param sourceProtocol network disks' protocol, e.g. {@code rbd} or {@code nbd}, else null
 * @param targetDev    the guest-facing name, e.g. {@code vda}: libvirt's disk key in backups
 * @param targetBus    {@code virtio}, {@code scsi}, {@code sata}, ..., or null
 * @param readonly     {@code <readonly/>} is present
 * @param shareable    {@code <shareable/>} is present
 * @param backingStore a {@code <backingStore>} element is present (libvirt 5.x and later write
 *                     an empty one for an image without backing file)
 * @param backingChain that element has content: the image has a backing file
 */
public record DomainDisk(String type, String device, String driverName, String driverType,
                         String discard, String source, String sourceProtocol, String targetDev,
                         String targetBus, boolean readonly, boolean shareable,
                         boolean backingStore, boolean backingChain) {

    /** True when the image format can hold persistent dirty bitmaps, so inc and diff work. */
    public boolean canCarryBitmaps() {
        return "qcow2".equals(driverType);
    }
}
