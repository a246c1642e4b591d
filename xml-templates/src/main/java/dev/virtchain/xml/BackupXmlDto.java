package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlRootElement;

/** The {@code <domainbackup>} document element for element, as Jackson reads and writes it. */
@JacksonXmlRootElement(localName = "domainbackup")
@JsonPropertyOrder({"mode", "incremental", "disks"})
final class BackupXmlDto {
    @JacksonXmlProperty(isAttribute = true)
    public String mode;
    public String incremental;
    public DiskList<Disk> disks;

    @JsonPropertyOrder({"name", "backup", "type", "backupmode", "incremental", "target", "driver"})
    static final class Disk {
        @JacksonXmlProperty(isAttribute = true)
        public String name;
        @JacksonXmlProperty(isAttribute = true)
        public String backup;
        @JacksonXmlProperty(isAttribute = true)
        public String type;
        @JacksonXmlProperty(isAttribute = true)
        public String backupmode;
        @JacksonXmlProperty(isAttribute = true)
        public String incremental;
        public Target target;
        public Driver driver;
    }

    static final class Target {
        @JacksonXmlProperty(isAttribute = true)
        public String file;
        @JacksonXmlProperty(isAttribute = true)
        public String dev;
    }

    static final class Driver {
        @JacksonXmlProperty(isAttribute = true)
        public String type;
    }
}
