package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlElementWrapper;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code <disks>} element of a backup or checkpoint document: its {@code <disk>} children,
 * as Jackson reads and writes them.
 *
 * @param <D> the document's disk element
 */
final class DiskList<D> {
    @JacksonXmlElementWrapper(useWrapping = false)
    @JacksonXmlProperty(localName = "disk")
    public List<D> disk = new ArrayList<>();

    // Appends, so that <disk> elements split by others are all kept.
    @JacksonXmlElementWrapper(useWrapping = false)
    @JsonSetter("disk")
    void addDisks(List<D> more) {
        disk.addAll(more);
    }
}
