package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The parts of a libvirt {@code <domain>} that virtchain reads. Everything else is ignored
 * here; {@link DomainRewrite} rewrites the original text and so keeps it.
 *
 * @param type  the hypervisor, e.g. {@code kvm} or {@code qemu}
 * @param name  the domain's name
 * @param uuid  the domain's UUID as libvirt writes it, or null
 * @param os    firmware and direct-boot files
 * @param disks every {@code <disk>} in document order
 */
public record Domain(String type, String name, String uuid, DomainOs os, List<DomainDisk> disks) {
    private static final String DOCUMENT = "domain XML";

    public Domain {
        disks = List.copyOf(disks);
    }

    /** Reads the domain XML libvirt returned ({@code virDomainGetXMLDesc}). */
    public static Domain parse(String xml) throws LibvirtXmlException {
        return fromDto(Xml.read(xml, "domain", DomainXmlDto.class, DOCUMENT), DOCUMENT);
    }

    /** The disk with target dev {@code dev}, or null. */
    public DomainDisk disk(String dev) {
        for (DomainDisk d : disks) {
            if (dev.equals(d.targetDev())) {
                return d;
            }
        }
        return null;
    }

    static Domain fromDto(DomainXmlDto dto, String document) throws LibvirtXmlException {
        String name = DomainBackup.blankToNull(dto.name);
        if (name == null) {
            throw new LibvirtXmlException(document, "<domain> has no <name>");
        }
        List<DomainDisk> disks = new ArrayList<>();
        if (dto.devices != null) {
            for (DomainXmlDto.Disk d : dto.devices.disks) {
                disks.add(disk(d));
            }
        }
        return new Domain(dto.type, name, DomainBackup.blankToNull(dto.uuid), os(dto.os), disks);
    }

    private static DomainOs os(DomainXmlDto.Os os) {
        if (os == null) {
            return DomainOs.NONE;
        }
        DomainOs.Loader loader = os.loader == null ? null : new DomainOs.Loader(
                DomainBackup.blankToNull(os.loader.path), "yes".equals(os.loader.readonly), os.loader.type);
        String nvram = null;
        if (os.nvram != null) {
            nvram = DomainBackup.blankToNull(os.nvram.path);
            if (nvram == null && os.nvram.source != null) {
                nvram = os.nvram.source.file;
            }
        }
        return new DomainOs(loader, nvram, DomainBackup.blankToNull(os.kernel),
                DomainBackup.blankToNull(os.initrd));
    }

    private static DomainDisk disk(DomainXmlDto.Disk d) {
        String type = d.type == null ? "file" : d.type; // libvirt's default
        String device = d.device == null ? "disk" : d.device;
        DomainXmlDto.Driver drv = d.driver;
        DomainXmlDto.Source src = d.source;
        String source = null;
        String protocol = null;
        if (src != null) {
            switch (type) {
                case "file" -> source = src.file;
                case "block" -> source = src.dev;
                case "network" -> {
                    source = src.name;
                    protocol = src.protocol;
                }
                case "volume" -> source = src.pool == null ? src.volume : src.pool + "/" + src.volume;
                default -> source = src.file != null ? src.file : src.dev;
            }
        }
        String bus = d.target == null ? null : d.target.bus;
        String dev = d.target == null ? null : d.target.dev;
        boolean chain = d.backingStore instanceof Map<?, ?> m && !m.isEmpty();
        return new DomainDisk(type, device,
                drv == null ? null : drv.name, drv == null ? null : drv.type, drv == null ? null : drv.discard,
                DomainBackup.blankToNull(source), protocol, dev, bus,
                d.readonly != null, d.shareable != null, d.backingStore != null, chain);
    }
}
