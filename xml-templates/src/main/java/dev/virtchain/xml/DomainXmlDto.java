package dev.virtchain.xml;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlElementWrapper;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlProperty;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlRootElement;
import com.fasterxml.jackson.dataformat.xml.annotation.JacksonXmlText;
import java.util.ArrayList;
import java.util.List;

/** The parts of {@code <domain>} virtchain reads, element for element; Jackson skips the rest. */
@JacksonXmlRootElement(localName = "domain")
final class DomainXmlDto {
    @JacksonXmlProperty(isAttribute = true)
    public String type;
    public String name;
    public String uuid;
    public Os os;
    public Devices devices;

    static final class Os {
        public Loader loader;
        public Nvram nvram;
        public String kernel;
        public String initrd;
    }

    static final class Loader {
        @JacksonXmlProperty(isAttribute = true)
        public String readonly;
        @JacksonXmlProperty(isAttribute = true)
        public String type;
        @JacksonXmlText
        public String path;

        public Loader() {
        }

        /** {@code <loader>PATH</loader>} without attributes, which Jackson reads as a plain string. */
        public Loader(String path) {
            this.path = path;
        }
    }

    /** {@code <nvram>PATH</nvram>}, or since libvirt 8.5 {@code <nvram type='file'><source file=.../>}. */
    static final class Nvram {
        @JacksonXmlProperty(isAttribute = true)
        public String type;
        public Source source;
        @JacksonXmlText
        public String path;

        public Nvram() {
        }

        /** {@code <nvram>PATH</nvram>} without attributes, which Jackson reads as a plain string. */
        public Nvram(String path) {
            this.path = path;
        }
    }

    static final class Devices {
        public final List<Disk> disks = new ArrayList<>();

        // Appends: libvirt groups disks, but hand-written XML may put other devices between them.
        @JacksonXmlElementWrapper(useWrapping = false)
        @JsonSetter("disk")
        void addDisks(List<Disk> more) {
            disks.addAll(more);
        }
    }

    static final class Disk {
        @JacksonXmlProperty(isAttribute = true)
        public String type;
        @JacksonXmlProperty(isAttribute = true)
        public String device;
        public Driver driver;
        public Source source;
        public Target target;
        /** Empty element: present means read-only. */
        public Object readonly;
        public Object shareable;
        /** Empty {@code <backingStore/>}: no backing file; with content: a backing chain. */
        public Object backingStore;
    }

    static final class Driver {
        @JacksonXmlProperty(isAttribute = true)
        public String name;
        @JacksonXmlProperty(isAttribute = true)
        public String type;
        @JacksonXmlProperty(isAttribute = true)
        public String discard;
    }

    static final class Source {
        @JacksonXmlProperty(isAttribute = true)
        public String file;
        @JacksonXmlProperty(isAttribute = true)
        public String dev;
        @JacksonXmlProperty(isAttribute = true)
        public String protocol;
        @JacksonXmlProperty(isAttribute = true)
        public String name;
        @JacksonXmlProperty(isAttribute = true)
        public String pool;
        @JacksonXmlProperty(isAttribute = true)
        public String volume;
    }

    static final class Target {
        @JacksonXmlProperty(isAttribute = true)
        public String dev;
        @JacksonXmlProperty(isAttribute = true)
        public String bus;
    }
}
