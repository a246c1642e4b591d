package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Turns a saved domain XML into the definition of a restored or booted copy: a new name and
 * UUID, disks pointing at the restored files, no {@code <backingStore>} (libvirt reads the
 * chain from the images), and optionally no network interfaces (so the copy does not clash
 * with the original's MAC addresses).
 *
 * <p>The original text is edited as a DOM, never rebuilt from {@link Domain}: every element and
 * attribute virtchain does not know (devices, tuning, {@code <metadata>}, qemu namespaces,
 * comments) comes out as it went in.
 *
 * <pre>{@code
 * String xml = DomainRewrite.of(saved)
 *         .name("web1-restored").uuid(UUID.randomUUID())
 *         .disk("vda", "/restore/vda.qcow2", "qcow2")
 *         .removeInterfaces()
 *         .toXml();
 * }</pre>
 */
public final class DomainRewrite {
    private static final String DOCUMENT = "domain XML";

    private final String original;
    private String name;
    private UUID uuid;
    private String nvram;
    private boolean removeInterfaces;
    private String cmdline;
    private String kernel;
    private String initrd;
    private String charFilesDir;
    private String serialFile;
    private boolean withoutRuntimeState;
    private final Map<String, DiskFile> disks = new LinkedHashMap<>();
    private final List<String> removedDisks = new ArrayList<>();

    private record DiskFile(String path, String format) {}

    private DomainRewrite(String original) {
        this.original = Objects.requireNonNull(original, "original domain XML");
    }

    /** Starts a rewrite of {@code originalXml}; nothing is parsed until {@link #toXml()}. */
    public static DomainRewrite of(String originalXml) {
        return new DomainRewrite(originalXml);
    }

    /** The new {@code <name>}. */
    public DomainRewrite name(String newName) {
        BackupDisk.requireText(newName, "domain name");
        this.name = newName;
        return this;
    }

    /** The new {@code <uuid>}. */
    public DomainRewrite uuid(UUID newUuid) {
        this.uuid = Objects.requireNonNull(newUuid, "uuid");
        return this;
    }

    /**
     * Points the disk with target dev {@code targetDev} at the file {@code path}: the disk becomes
     * {@code type='file'} with {@code <source file=path>}, and when {@code format} is not null its
     * {@code <driver type>} becomes {@code format} (a raw disk restored as qcow2, say).
     */
    public DomainRewrite disk(String targetDev, String path, String format) {
        BackupDisk.requireText(targetDev, "target dev");
        BackupDisk.requireText(path, "disk path for " + targetDev);
        disks.put(targetDev, new DiskFile(path, format));
        return this;
    }

    /**
     * Points {@code <os><nvram>} at {@code path}. A copy that kept the original's path would
     * write its UEFI variables into the original domain's store.
     */
    public DomainRewrite nvram(String path) {
        BackupDisk.requireText(path, "nvram path");
        this.nvram = path;
        return this;
    }

    /** Drops every {@code <interface>} device. */
    public DomainRewrite removeInterfaces() {
        this.removeInterfaces = true;
        return this;
    }

    /**
     * Drops the disk with target dev {@code targetDev}: a disk the backup does not hold, which a
     * booted copy must not share with the original.
     */
    public DomainRewrite removeDisk(String targetDev) {
        BackupDisk.requireText(targetDev, "target dev");
        removedDisks.add(targetDev);
        return this;
    }

    /**
     * Points {@code <os><kernel>} of a directly booted domain at {@code path}: the copy kept with
     * the backup, for a host where the original file changed or is gone.
     */
    public DomainRewrite kernel(String path) {
        BackupDisk.requireText(path, "kernel path");
        this.kernel = path;
        return this;
    }

    /** Points {@code <os><initrd>} at {@code path}, as {@link #kernel} does the kernel. */
    public DomainRewrite initrd(String path) {
        BackupDisk.requireText(path, "initrd path");
        this.initrd = path;
        return this;
    }

    /** The new kernel command line ({@code <os><cmdline>}) of a directly booted kernel. */
    public DomainRewrite cmdline(String text) {
        this.cmdline = Objects.requireNonNull(text, "cmdline");
        return this;
    }

    /**
     * Moves every file a character device writes into {@code dir}, keeping the file names: the
     * {@code <source path>} of {@code type='file'} serials, consoles, parallels and channels, and
     * every {@code <log file>}. Unix socket channels lose their {@code <source path>} (libvirt
     * picks a fresh one, where the original's guest agent socket would clash) and pty devices the
     * pty the original was given. A booted copy then never writes into the original's files.
     */
    public DomainRewrite charDeviceFilesInto(String dir) {
        BackupDisk.requireText(dir, "directory for character device files");
        this.charFilesDir = dir;
        return this;
    }

    /**
     * Sends the serial console to the file {@code path}: the first {@code <serial>} and every
     * {@code <console>} on a serial port become {@code type='file'} (a serial port is added when
     * there is none), further serial ports {@code type='null'}. Applied after
     * {@link #charDeviceFilesInto}.
     */
    public DomainRewrite serialToFile(String path) {
        BackupDisk.requireText(path, "serial console file");
        this.serialFile = path;
        return this;
    }

    /**
     * Drops what a running domain's XML carries about this run of it and a definition does not:
     * the root's {@code id}, every {@code <alias>}, the {@code index} of disk sources and backing
     * stores, and the label a dynamic {@code <seclabel>} was given ({@code <label>},
     * {@code <imagelabel>}, {@code <baselabel>} stay for a static one). For a saved live XML
     * when no inactive definition was kept with the backup.
     */
    public DomainRewrite withoutRuntimeState() {
        this.withoutRuntimeState = true;
        return this;
    }

    /** The rewritten domain XML. */
    public String toXml() throws LibvirtXmlException {
        Document doc = Xml.parseDom(original, DOCUMENT);
        Element domain = doc.getDocumentElement();
        if (!"domain".equals(domain.getLocalName())) {
            throw new LibvirtXmlException(DOCUMENT,
                    "root element is <" + domain.getLocalName() + ">, expected <domain>");
        }
        if (withoutRuntimeState) {
            RuntimeState.remove(domain);
        }
        if (name != null) {
            setText(domain, "name", name, null);
        }
        if (uuid != null) {
            setText(domain, "uuid", uuid.toString(), "name");
        }
        if (nvram != null) {
            pointNvramAt(domain, nvram);
        }
        replaceOsFile(domain, "kernel", kernel);
        replaceOsFile(domain, "initrd", initrd);
        if (cmdline != null) {
            Element os = child(domain, "os");
            if (os == null || child(os, "kernel") == null) {
                throw new LibvirtXmlException(DOCUMENT, "no <os><kernel> to give the command line '" + cmdline + "'");
            }
            setText(os, "cmdline", cmdline, child(os, "initrd") != null ? "initrd" : "kernel");
        }
        Element devices = child(domain, "devices");
        List<String> unmatched = new ArrayList<>(disks.keySet());
        List<String> notRemoved = new ArrayList<>(removedDisks);
        if (devices != null) {
            for (Element disk : children(devices, "disk")) {
                for (Element bs : children(disk, "backingStore")) {
                    remove(bs);
                }
                Element target = child(disk, "target");
                String dev = target == null ? null : target.getAttribute("dev");
                if (dev != null && notRemoved.remove(dev)) {
                    remove(disk);
                    continue;
                }
                DiskFile file = dev == null ? null : disks.get(dev);
                if (file != null) {
                    pointAt(disk, dev, file);
                    unmatched.remove(dev);
                }
            }
            if (removeInterfaces) {
                for (Element iface : children(devices, "interface")) {
                    remove(iface);
                }
            }
            if (charFilesDir != null) {
                CharDevices.moveFilesInto(devices, charFilesDir);
            }
            if (serialFile != null) {
                CharDevices.serialToFile(devices, serialFile);
            }
        } else if (serialFile != null) {
            throw new LibvirtXmlException(DOCUMENT, "no <devices> to add a serial console to");
        }
        if (!unmatched.isEmpty()) {
            throw new LibvirtXmlException(DOCUMENT, "no disk with target dev '" + unmatched.get(0)
                    + "' to point at " + disks.get(unmatched.get(0)).path());
        }
        if (!notRemoved.isEmpty()) {
            throw new LibvirtXmlException(DOCUMENT, "no disk with target dev '" + notRemoved.get(0) + "' to remove");
        }
        return Xml.writeDom(doc);
    }

    private static void pointAt(Element disk, String dev, DiskFile file) throws LibvirtXmlException {
        String type = disk.hasAttribute("type") ? disk.getAttribute("type") : "file";
        if (!type.equals("file") && !type.equals("block")) {
            throw new LibvirtXmlException(DOCUMENT,
                    "disk '" + dev + "' has type='" + type + "': only file and block disks can be restored to a file");
        }
        disk.setAttribute("type", "file");
        Element source = child(disk, "source");
        if (source == null) {
            source = disk.getOwnerDocument().createElementNS(disk.getNamespaceURI(), "source");
            Element driver = child(disk, "driver");
            disk.insertBefore(source, driver != null ? driver.getNextSibling() : disk.getFirstChild());
        }
        // A block device's source attributes mean nothing for a file.
        source.removeAttribute("dev");
        source.setAttribute("file", file.path());
        if (file.format() != null) {
            Element driver = child(disk, "driver");
            if (driver == null) {
                driver = disk.getOwnerDocument().createElementNS(disk.getNamespaceURI(), "driver");
                driver.setAttribute("name", "qemu");
                disk.insertBefore(driver, source);
            }
            driver.setAttribute("type", file.format());
        }
    }

    private static void pointNvramAt(Element domain, String path) throws LibvirtXmlException {
        Element os = child(domain, "os");
        Element nv = os == null ? null : child(os, "nvram");
        if (nv == null) {
            throw new LibvirtXmlException(DOCUMENT, "no <os><nvram> to point at " + path);
        }
        Element source = child(nv, "source");
        if (source != null) {
            source.setAttribute("file", path); // libvirt 8.5's <nvram type='file'><source file=.../>
        } else {
            nv.setTextContent(path);
        }
    }

    /** Sets the text of the existing {@code <os><tag>} to {@code path} (nothing when null); it must exist. */
    private static void replaceOsFile(Element domain, String tag, String path) throws LibvirtXmlException {
        if (path == null) {
            return;
        }
        Element os = child(domain, "os");
        Element e = os == null ? null : child(os, tag);
        if (e == null) {
            throw new LibvirtXmlException(DOCUMENT, "no <os><" + tag + "> to point at " + path);
        }
        e.setTextContent(path);
    }

    private static void setText(Element parent, String tag, String text, String after) {
        Element e = child(parent, tag);
        if (e == null) {
            e = parent.getOwnerDocument().createElementNS(parent.getNamespaceURI(), tag);
            Element anchor = after == null ? null : child(parent, after);
            parent.insertBefore(e, anchor != null ? anchor.getNextSibling() : parent.getFirstChild());
        }
        e.setTextContent(text);
    }

    static Element child(Element parent, String tag) {
        List<Element> all = children(parent, tag);
        return all.isEmpty() ? null : all.get(0);
    }

    static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            // Libvirt's own elements carry no namespace; qemu:commandline and the like do.
            if (n instanceof Element e && e.getNamespaceURI() == null && tag.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    /** Removes {@code e} and the indentation before it, so the output keeps libvirt's layout. */
    static void remove(Element e) {
        Node prev = e.getPreviousSibling();
        if (prev != null && prev.getNodeType() == Node.TEXT_NODE && prev.getTextContent().isBlank()) {
            prev.getParentNode().removeChild(prev);
        }
        e.getParentNode().removeChild(e);
    }
}
