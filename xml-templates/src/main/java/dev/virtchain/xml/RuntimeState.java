package dev.virtchain.xml;

import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** What libvirt adds to a running domain's XML and a definition does not hold (see {@link DomainRewrite#withoutRuntimeState}). */
final class RuntimeState {
    private RuntimeState() {
    }

    static void remove(Element domain) {
        domain.removeAttribute("id");
        for (Element alias : descendants(domain, "alias")) {
            DomainRewrite.remove(alias);
        }
        Element devices = DomainRewrite.child(domain, "devices");
        if (devices != null) {
            for (Element disk : DomainRewrite.children(devices, "disk")) {
                for (Element source : descendants(disk, "source")) {
                    source.removeAttribute("index");
                }
            }
        }
        for (Element label : DomainRewrite.children(domain, "seclabel")) {
            if ("dynamic".equals(label.getAttribute("type"))) {
                for (String tag : List.of("label", "imagelabel")) {
                    for (Element e : DomainRewrite.children(label, tag)) {
                        DomainRewrite.remove(e);
                    }
                }
                if (DomainRewrite.children(label, "baselabel").isEmpty()) {
                    removeBlankChildren(label);
                }
            }
        }
    }

    /** Every element named {@code tag} below {@code root} (libvirt's own, without a namespace). */
    private static List<Element> descendants(Element root, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getNamespaceURI() == null) {
                if (tag.equals(e.getLocalName())) {
                    out.add(e);
                }
                out.addAll(descendants(e, tag));
            }
        }
        return out;
    }

    /** Leaves {@code e} empty when only whitespace is left in it, as libvirt writes {@code <seclabel .../>}. */
    private static void removeBlankChildren(Element e) {
        for (Node n = e.getFirstChild(); n != null; ) {
            Node next = n.getNextSibling();
            if (n.getNodeType() == Node.TEXT_NODE && n.getTextContent().isBlank()) {
                e.removeChild(n);
            }
            n = next;
        }
    }
}
