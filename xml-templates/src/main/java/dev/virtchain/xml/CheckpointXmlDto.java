package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlRootElement;

/** The {@code <domaincheckpoint>} document element for element, as Jackson reads and writes it. */
@JacksonXmlRootElement(localName = "domaincheckpoint")
@JsonPropertyOrder({"name", "description", "creationTime", "parent", "disks"})
final class CheckpointXmlDto {
    public String name;
    public String description;
    public String creationTime;
    public Parent parent;
    public DiskList<Disk> disks;
    /** Read only: the domain definition libvirt embeds, never written by us. */
    @JsonProperty(access = JsonProperty.Access.WRITE_ONLY)
    public DomainXmlDto domain;

    static final class Parent {
        public String name;
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
