package dev.virtchain.xml;

import java.io.IOException;

/**
 * Libvirt XML that cannot be read or rewritten. The message is one line that names the document
 * kind, the element or rule and the bad value, e.g.
 * {@code domain XML: no disk with target dev 'vdz' to point at /restore/vdz.qcow2}.
 */
public class LibvirtXmlException extends IOException {
    private static final long serialVersionUID = 1L;

    public LibvirtXmlException(String document, String problem) {
        super(document + ": " + problem);
    }

    public LibvirtXmlException(String document, String problem, Throwable cause) {
        super(document + ": " + problem, cause);
    }
}
