package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A push-mode {@code <domainbackup>} (libvirt formatbackup), the first argument of
 * {@code virDomainBackupBegin}. There is no {@code <server>} and no scratch file: qemu writes
 * straight into the target files virtchain pre-created.
 *
 * @param incremental the checkpoint whose changes this backup copies, or null for a full backup
 * @param disks       one entry per domain disk; libvirt backs up disks not listed by default
 */
public record DomainBackup(String incremental, List<BackupDisk> disks) {
    private static final String DOCUMENT = "domainbackup XML";

    public DomainBackup {
        if (incremental != null) {
            BackupDisk.requireText(incremental, "incremental checkpoint");
        }
        disks = List.copyOf(disks);
        Set<String> seen = new HashSet<>();
        for (BackupDisk d : disks) {
            if (!seen.add(d.name())) {
                throw new IllegalArgumentException("disk '" + d.name() + "' is listed twice");
            }
        }
    }

    /** A full backup: every listed disk copied whole. */
    public static DomainBackup full(List<BackupDisk> disks) {
        return new DomainBackup(null, disks);
    }

    /** A backup of the changes since {@code checkpoint} (an inc or a diff in virtchain's words). */
    public static DomainBackup since(String checkpoint, List<BackupDisk> disks) {
        return new DomainBackup(checkpoint, disks);
    }

    /** The XML for {@code virDomainBackupBegin}. */
    public String toXml() {
        BackupXmlDto dto = new BackupXmlDto();
        dto.mode = "push";
        dto.incremental = incremental;
        if (!disks.isEmpty()) {
            dto.disks = new DiskList<>();
            for (BackupDisk d : disks) {
                dto.disks.disk.add(toDto(d));
            }
        }
        return Xml.write(dto);
    }

    private static BackupXmlDto.Disk toDto(BackupDisk d) {
        BackupXmlDto.Disk x = new BackupXmlDto.Disk();
        x.name = d.name();
        x.backup = d.backup() ? "yes" : "no";
        if (d.backup()) {
            x.type = "file";
            x.backupmode = d.mode() == null ? null : d.mode().xmlName();
            x.incremental = d.incremental();
            x.target = new BackupXmlDto.Target();
            x.target.file = d.targetFile();
            x.driver = new BackupXmlDto.Driver();
            x.driver.type = d.driverType();
        }
        return x;
    }

    /**
     * Reads a push-mode {@code <domainbackup>}, e.g. what {@code virDomainBackupGetXMLDesc}
     * returns for a running job. Pull mode and block targets are refused by name.
     */
    public static DomainBackup parse(String xml) throws LibvirtXmlException {
        BackupXmlDto dto = Xml.read(xml, "domainbackup", BackupXmlDto.class, DOCUMENT);
        if (dto.mode != null && !dto.mode.equals("push")) {
            throw new LibvirtXmlException(DOCUMENT, "mode='" + dto.mode + "' is not supported, only push");
        }
        List<BackupDisk> disks = new ArrayList<>();
        if (dto.disks != null) {
            for (BackupXmlDto.Disk x : dto.disks.disk) {
                disks.add(fromDto(x));
            }
        }
        try {
            return new DomainBackup(blankToNull(dto.incremental), disks);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new LibvirtXmlException(DOCUMENT, e.getMessage(), e);
        }
    }

    private static BackupDisk fromDto(BackupXmlDto.Disk x) throws LibvirtXmlException {
        if (x.name == null) {
            throw new LibvirtXmlException(DOCUMENT, "a <disk> has no name");
        }
        if ("no".equals(x.backup)) {
            return BackupDisk.skipped(x.name);
        }
        if (x.type != null && !x.type.equals("file")) {
            throw new LibvirtXmlException(DOCUMENT,
                    "disk '" + x.name + "' has type='" + x.type + "', only file targets are supported");
        }
        if (x.target == null || x.target.file == null) {
            // libvirt would invent a name next to the disk; virtchain always names its targets.
            throw new LibvirtXmlException(DOCUMENT, "disk '" + x.name + "' has no <target file=...>");
        }
        DiskBackupMode mode = x.backupmode == null ? null : DiskBackupMode.fromXml(x.backupmode, x.name);
        String driver = x.driver == null || x.driver.type == null ? "qcow2" : x.driver.type;
        try {
            return new BackupDisk(x.name, true, mode, x.incremental, x.target.file, driver);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new LibvirtXmlException(DOCUMENT, e.getMessage(), e);
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
