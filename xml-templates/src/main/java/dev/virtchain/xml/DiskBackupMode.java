package dev.virtchain.xml;

/**
 * A disk's {@code backupmode} inside a {@code <domainbackup>} (libvirt 7.x and later): lets one
 * disk take a full copy inside an otherwise incremental backup, e.g. a disk added since the
 * last checkpoint.
 */
public enum DiskBackupMode {
    FULL("full"),
    INCREMENTAL("incremental");

    private final String xmlName;

    DiskBackupMode(String xmlName) {
        this.xmlName = xmlName;
    }

    /** The attribute value libvirt uses. */
    public String xmlName() {
        return xmlName;
    }

    static DiskBackupMode fromXml(String value, String disk) throws LibvirtXmlException {
        for (DiskBackupMode m : values()) {
            if (m.xmlName.equals(value)) {
                return m;
            }
        }
        throw new LibvirtXmlException("domainbackup XML",
                "disk '" + disk + "' has backupmode='" + value + "', expected full or incremental");
    }
}
