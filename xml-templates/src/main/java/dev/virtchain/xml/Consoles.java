package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;

/**
 * How a domain can be watched and reached: its serial console (a pty for {@code virsh console},
 * or a file) and whether it has a guest agent channel. Read from the domain XML as libvirt
 * writes it.
 *
 * @param pty        a serial port or console is a pty
 * @param files      the files serial ports, consoles and their logs write to, in document order
 * @param guestAgent the domain has a {@code org.qemu.guest_agent.0} channel
 */
public record Consoles(boolean pty, List<String> files, boolean guestAgent) {
    /** The name of the guest agent's virtio-serial channel. */
    public static final String GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0";

    public Consoles {
        files = List.copyOf(files);
    }

    public static Consoles of(String domainXml) throws LibvirtXmlException {
        Element domain = Xml.parseDom(domainXml, "domain XML").getDocumentElement();
        Element devices = DomainRewrite.child(domain, "devices");
        if (devices == null) {
            return new Consoles(false, List.of(), false);
        }
        boolean pty = false;
        List<String> files = new ArrayList<>();
        for (String kind : List.of("serial", "console")) {
            for (Element dev : DomainRewrite.children(devices, kind)) {
                pty |= dev.getAttribute("type").equals("pty");
                Element source = DomainRewrite.child(dev, "source");
                if (dev.getAttribute("type").equals("file") && source != null && !source.getAttribute("path").isEmpty()
                        && !files.contains(source.getAttribute("path"))) {
                    files.add(source.getAttribute("path"));
                }
                Element log = DomainRewrite.child(dev, "log");
                if (log != null && !log.getAttribute("file").isEmpty() && !files.contains(log.getAttribute("file"))) {
                    files.add(log.getAttribute("file"));
                }
            }
        }
        boolean agent = false;
        for (Element channel : DomainRewrite.children(devices, "channel")) {
            Element target = DomainRewrite.child(channel, "target");
            agent |= target != null && GUEST_AGENT_CHANNEL.equals(target.getAttribute("name"));
        }
        return new Consoles(pty, files, agent);
    }

    /**
     * The state libvirt gives the guest agent channel's target in a live domain XML
     * ({@code connected} once the guest opened its port, {@code disconnected} before), "" when it
     * gives none, or null when the domain has no guest agent channel.
     */
    public static String guestAgentState(String domainXml) throws LibvirtXmlException {
        Element domain = Xml.parseDom(domainXml, "domain XML").getDocumentElement();
        Element devices = DomainRewrite.child(domain, "devices");
        if (devices == null) {
            return null;
        }
        for (Element channel : DomainRewrite.children(devices, "channel")) {
            Element target = DomainRewrite.child(channel, "target");
            if (target != null && GUEST_AGENT_CHANNEL.equals(target.getAttribute("name"))) {
                return target.getAttribute("state");
            }
        }
        return null;
    }
}
