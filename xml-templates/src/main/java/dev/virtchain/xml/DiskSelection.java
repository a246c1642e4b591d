package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.List;

/**
 * Which disks of a domain virtchain can back up: file and block disks with
 * {@code device='disk'} whose image format is qcow2 or raw. Everything else is skipped with a
 * reason the CLI prints. Include and exclude lists are applied by the caller afterwards.
 *
 * @param backupable disks to back up, in document order; raw ones allow full and copy only
 *                   (see {@link DomainDisk#canCarryBitmaps()})
 * @param skipped    the other disks, each with its reason
 */
public record DiskSelection(List<DomainDisk> backupable, List<SkippedDisk> skipped) {

    public DiskSelection {
        backupable = List.copyOf(backupable);
        skipped = List.copyOf(skipped);
    }

    /** Sorts every disk of {@code domain} into backupable or skipped. */
    public static DiskSelection of(Domain domain) {
        List<DomainDisk> ok = new ArrayList<>();
        List<SkippedDisk> skipped = new ArrayList<>();
        for (DomainDisk d : domain.disks()) {
            String reason = whyNot(d);
            if (reason == null) {
                ok.add(d);
            } else {
                skipped.add(new SkippedDisk(d, reason));
            }
        }
        return new DiskSelection(ok, skipped);
    }

    /** The reason {@code disk} cannot be backed up, or null when it can. */
    static String whyNot(DomainDisk d) {
        if (!d.device().equals("disk")) {
            return switch (d.device()) {
                case "cdrom", "floppy" -> d.device() + ": removable media is not backed up";
                case "lun" -> "lun: SCSI passthrough devices are not backed up";
                default -> "device='" + d.device() + "' is not backed up";
            };
        }
        if (d.targetDev() == null) {
            return "no <target dev>: libvirt cannot name the disk in a backup";
        }
        switch (d.type()) {
            case "file", "block" -> { }
            case "network" -> {
                return "network disk" + (d.sourceProtocol() == null ? "" : " (" + d.sourceProtocol() + ")")
                        + ": not supported, virtchain backs up file and block disks";
            }
            case "volume" -> {
                return "storage pool volume: not supported, virtchain backs up file and block disks";
            }
            default -> {
                return "type='" + d.type() + "': not supported, virtchain backs up file and block disks";
            }
        }
        if (d.source() == null) {
            return "no source: the disk is empty";
        }
        if (d.driverType() == null) {
            return "no <driver type>: image format unknown";
        }
        if (!d.driverType().equals("qcow2") && !d.driverType().equals("raw")) {
            return "format '" + d.driverType() + "': only qcow2 and raw disks are backed up";
        }
        return null;
    }
}
