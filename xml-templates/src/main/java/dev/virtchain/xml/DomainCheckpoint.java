package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@code <domaincheckpoint>}: what virtchain passes to {@code virDomainCheckpointCreateXML}
 * (or as the second argument of {@code virDomainBackupBegin}), and what libvirt returns from
 * {@code virDomainCheckpointGetXMLDesc}.
 *
 * <p>A checkpoint read from libvirt keeps the document exactly as libvirt gave it in
 * {@link #rawXml()}: redefinition ({@code VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE}) needs all of
 * it, including the embedded {@code <domain>} and whatever a later libvirt adds, so virtchain
 * stores and replays that string and never re-serializes the parsed fields.
 *
 * @param name         the checkpoint's name, e.g. {@code virtchain.<set-id>.0003}
 * @param description  free text, or null
 * @param creationTime seconds since the epoch as libvirt recorded them, or null for a new one
 * @param parent       the parent checkpoint's name, or null for the first of a domain
 * @param disks        per-disk bitmap choices; empty lets libvirt decide
 * @param domain       the domain definition libvirt embedded, or null
 * @param rawXml       the document as libvirt returned it, or null for one built here
 */
public record DomainCheckpoint(String name, String description, Long creationTime, String parent,
                               List<CheckpointDisk> disks, Domain domain, String rawXml) {
    private static final String DOCUMENT = "domaincheckpoint XML";
    /** libvirt's checkpointName: no leading dot, no slash or newline anywhere. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_\\-][a-zA-Z0-9_\\-.]*");

    public DomainCheckpoint {
        BackupDisk.requireText(name, "checkpoint name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("checkpoint name '" + name
                    + "' breaks libvirt's rule: letters, digits, '_', '-', '.', not starting with '.'");
        }
        disks = List.copyOf(disks);
        Set<String> seen = new HashSet<>();
        for (CheckpointDisk d : disks) {
            if (!seen.add(d.name())) {
                throw new IllegalArgumentException("checkpoint disk '" + d.name() + "' is listed twice");
            }
        }
    }

    /** A checkpoint to create, not yet known to libvirt. */
    public static DomainCheckpoint create(String name, String description, List<CheckpointDisk> disks) {
        return new DomainCheckpoint(name, description, null, null, disks, null, null);
    }

    /**
     * The XML to create this checkpoint: name, description and disks only; libvirt fills in
     * the parent, the creation time and the domain.
     */
    public String toXml() {
        CheckpointXmlDto dto = new CheckpointXmlDto();
        dto.name = name;
        dto.description = description;
        if (!disks.isEmpty()) {
            dto.disks = new DiskList<>();
            for (CheckpointDisk d : disks) {
                CheckpointXmlDto.Disk x = new CheckpointXmlDto.Disk();
                x.name = d.name();
                x.checkpoint = d.bitmap() ? "bitmap" : "no";
                x.bitmap = d.bitmapName();
                x.size = d.size() == null ? null : d.size().toString();
                dto.disks.disk.add(x);
            }
        }
        return Xml.write(dto);
    }

    /** The document to hand to {@code VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE}, as libvirt gave it. */
    public Optional<String> redefineXml() {
        return Optional.ofNullable(rawXml);
    }

    /** Reads what {@code virDomainCheckpointGetXMLDesc} returned, keeping the text in {@link #rawXml()}. */
    public static DomainCheckpoint parse(String xml) throws LibvirtXmlException {
        CheckpointXmlDto dto = Xml.read(xml, "domaincheckpoint", CheckpointXmlDto.class, DOCUMENT);
        String name = DomainBackup.blankToNull(dto.name);
        if (name == null) {
            throw new LibvirtXmlException(DOCUMENT, "no <name>");
        }
        List<CheckpointDisk> disks = new ArrayList<>();
        if (dto.disks != null) {
            for (CheckpointXmlDto.Disk x : dto.disks.disk) {
                disks.add(disk(x, name));
            }
        }
        Domain domain = dto.domain == null ? null : Domain.fromDto(dto.domain, DOCUMENT);
        String parent = dto.parent == null ? null : DomainBackup.blankToNull(dto.parent.name);
        try {
            return new DomainCheckpoint(name, dto.description,
                    number(dto.creationTime, "creationTime", name), parent, disks, domain, xml);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new LibvirtXmlException(DOCUMENT, e.getMessage(), e);
        }
    }

    private static CheckpointDisk disk(CheckpointXmlDto.Disk x, String checkpoint) throws LibvirtXmlException {
        if (x.name == null) {
            throw new LibvirtXmlException(DOCUMENT, "checkpoint '" + checkpoint + "': a <disk> has no name");
        }
        String mode = x.checkpoint == null ? "bitmap" : x.checkpoint; // libvirt's default
        Long size = number(x.size, "size of disk '" + x.name + "'", checkpoint);
        return switch (mode) {
            case "bitmap" -> new CheckpointDisk(x.name, true, x.bitmap, size);
            case "no" -> CheckpointDisk.untracked(x.name);
            default -> throw new LibvirtXmlException(DOCUMENT, "checkpoint '" + checkpoint + "': disk '"
                    + x.name + "' has checkpoint='" + mode + "', expected bitmap or no");
        };
    }

    private static Long number(String text, String what, String checkpoint) throws LibvirtXmlException {
        String t = DomainBackup.blankToNull(text);
        if (t == null) {
            return null;
        }
        try {
            long v = Long.parseUnsignedLong(t);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new LibvirtXmlException(DOCUMENT,
                    "checkpoint '" + checkpoint + "': " + what + " is not a number: '" + t + "'");
        }
    }
}
