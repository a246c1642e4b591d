package dev.virtchain.xml;

/**
 * The {@code <os>} files of a domain that a backup must keep or a boot must find.
 *
 * @param loader firmware ({@code <loader>}), or null for the hypervisor's default
 * @param nvram  path of the domain's UEFI variable store, or null
 * @param kernel path of a direct-boot kernel, or null
 * @param initrd path of a direct-boot initrd, or null
 */
public record DomainOs(Loader loader, String nvram, String kernel, String initrd) {

    /** No firmware, nvram or direct-boot files. */
    public static final DomainOs NONE = new DomainOs(null, null, null, null);

    /**
     * The firmware image.
     *
     * @param path     the image, or null when libvirt picks one ({@code <os firmware='efi'>})
     * @param readonly {@code readonly='yes'}: shared firmware code, not per-domain state
     * @param type     {@code rom} or {@code pflash}, or null
     */
    public record Loader(String path, boolean readonly, String type) {}
}
