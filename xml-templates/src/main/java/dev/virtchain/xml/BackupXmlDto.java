package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlElementWrapper;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlRootElement;
import java.util.ArrayList;
import java.util.List;

/** The {@code <domainbackup>} document element for element, as Jackson reads and writes it. */
@JacksonXmlRootElement(localName = "domainbackup")
@JsonPropertyOrder({"mode", "incremental", "disks"})
final class BackupXmlDto {
    @JacksonXmlProperty(isAttribute = true)
    public String mode;
    public String incremental;
    public Disks disks;

    static final class Disks {
        @JacksonXmlElementWrapper(useWrapping = false)
        @JacksonXmlProperty(localName = "disk")
        public List<Disk> disk = new ArrayList<>();

        // Appends, so that <disk> elements split by others are all kept.
        @JacksonXmlElementWrapper(useWrapping = false)
        @JsonSetter("disk")
        void addDisks(List<Disk> more) {
            disk.addAll(more);
        }
    }

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
