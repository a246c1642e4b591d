package dev.virtchain.xml;

import java.util.List;
import org.w3c.dom.Element;

/**
 * The character devices of a domain ({@code <serial>}, {@code <console>}, {@code <parallel>},
 * {@code <channel>}) as {@link DomainRewrite} edits them for a copy that must not touch the
 * original's files, sockets or ptys.
 */
final class CharDevices {
    static final List<String> KINDS = List.of("serial", "console", "parallel", "channel");

    private CharDevices() {
    }

    /** See {@link DomainRewrite#charDeviceFilesInto}. */
    static void moveFilesInto(Element devices, String dir) {
        for (String kind : KINDS) {
            for (Element dev : DomainRewrite.children(devices, kind)) {
                String type = dev.getAttribute("type");
                Element source = DomainRewrite.child(dev, "source");
                if (source != null && type.equals("file") && source.hasAttribute("path")) {
                    source.setAttribute("path", into(dir, source.getAttribute("path")));
                } else if (source != null && type.equals("unix") && source.hasAttribute("path")) {
                    source.removeAttribute("path");
                    if (source.getAttributes().getLength() == 0) {
                        DomainRewrite.remove(source);
                    }
                } else if (type.equals("pty")) {
                    dev.removeAttribute("tty");
                    if (source != null) {
                        DomainRewrite.remove(source);
                    }
                }
                Element log = DomainRewrite.child(dev, "log");
                if (log != null && log.hasAttribute("file")) {
                    log.setAttribute("file", into(dir, log.getAttribute("file")));
                }
            }
        }
    }

    /** See {@link DomainRewrite#serialToFile}. */
    static void serialToFile(Element devices, String path) {
        List<Element> serials = DomainRewrite.children(devices, "serial");
        if (serials.isEmpty()) {
            Element serial = devices.getOwnerDocument().createElementNS(devices.getNamespaceURI(), "serial");
            Element target = devices.getOwnerDocument().createElementNS(devices.getNamespaceURI(), "target");
            target.setAttribute("port", "0");
            serial.appendChild(target);
            List<Element> consoles = DomainRewrite.children(devices, "console");
            devices.insertBefore(serial, consoles.isEmpty() ? null : consoles.get(0));
            serials = List.of(serial);
        }
        toFile(serials.get(0), path);
        for (Element other : serials.subList(1, serials.size())) {
            toType(other, "null");
        }
        for (Element console : DomainRewrite.children(devices, "console")) {
            Element target = DomainRewrite.child(console, "target");
            String on = target == null || !target.hasAttribute("type") ? "serial" : target.getAttribute("type");
            if (on.equals("serial")) {
                toFile(console, path);
            }
        }
    }

    private static void toFile(Element dev, String path) {
        toType(dev, "file");
        Element source = dev.getOwnerDocument().createElementNS(dev.getNamespaceURI(), "source");
        source.setAttribute("path", path);
        dev.insertBefore(source, dev.getFirstChild());
    }

    /** Makes {@code dev} a character device of {@code type} with no source, protocol or log. */
    private static void toType(Element dev, String type) {
        dev.setAttribute("type", type);
        dev.removeAttribute("tty");
        for (String tag : List.of("source", "protocol", "log")) {
            for (Element e : DomainRewrite.children(dev, tag)) {
                DomainRewrite.remove(e);
            }
        }
    }

    private static String into(String dir, String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return (dir.endsWith("/") ? dir : dir + "/") + (name.isEmpty() ? "console.log" : name);
    }
}
