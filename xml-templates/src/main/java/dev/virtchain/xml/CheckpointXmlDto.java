package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlElementWrapper;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlRootElement;
import java.util.ArrayList;
import java.util.List;

/** The {@code <domaincheckpoint>} document element for element, as Jackson reads and writes it. */
@JacksonXmlRootElement(localName = "domaincheckpoint")
@JsonPropertyOrder({"name", "description", "creationTime", "parent", "disks"})
final class CheckpointXmlDto {
    public String name;
    public String description;
    public String creationTime;
    public Parent parent;
    public Disks disks;
    /** Read only: the domain definition libvirt embeds, never written by us. */
    @JsonProperty(access = JsonProperty.Access.WRITE_ONLY)
    public DomainXmlDto domain;

    static final class Parent {
        public String name;
    }

    static final class Disks {
        @JacksonXmlElementWrapper(useWrapping = false)
        @JacksonXmlProperty(localName = "disk")
        public List<Disk> disk = new ArrayList<>();

        @JacksonXmlElementWrapper(useWrapping = false)
        @JsonSetter("disk")
        void addDisks(List<Disk> more) {
            disk.addAll(more);
        }
    }

    @JsonPropertyOrder({"name", "checkpoint", "bitmap", "size"})
    static final class Disk {
        @JacksonXmlProperty(isAttribute = true)
        public String name;
        @JacksonXmlProperty(isAttribute = true)
        public String checkpoint;
        @JacksonXmlProperty(isAttribute = true)
        public String bitmap;
        @JacksonXmlProperty(isAttribute = true)
        public String size;
    }
}
