package dev.virtchain.it;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.StringReader;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.xml.sax.InputSource;

/**
 * Writes into a running guest's disks as the guest would, through qemu's block layer, so dirty
 * bitmaps see every write: HMP {@code qemu-io -d QOM-PATH "CMD"}. The QOM path of a virtio disk's
 * backend is {@code /machine/peripheral/<alias>/virtio-backend}, the alias read from the live
 * domain XML (libvirt names them virtio-disk0, virtio-disk1, ... in device order).
 */
final class GuestDisks {
    private final Hypervisor hv;
    private final String domain;

    GuestDisks(Hypervisor hv, String domain) {
        this.hv = hv;
        this.domain = domain;
    }

    /** Runs one qemu-io command ({@code write -P 0xab 0 64k}, {@code write -z ..}, {@code discard ..}). */
    void io(String target, String command) throws HypervisorException {
        String out = hv.hmp(domain, "qemu-io -d " + qomPath(target) + " \"" + command + "\"");
        // HMP answers success with an empty string or qemu-io's summary; failures are text too.
        if (out.contains("failed") || out.contains("rror")) {
            throw new AssertionError(domain + " " + target + ": qemu-io \"" + command + "\": " + out.strip());
        }
    }

    /** The QOM path of the virtio-blk backend behind disk {@code target}. */
    String qomPath(String target) throws HypervisorException {
        String xml = hv.domainXml(domain);
        try {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new InputSource(new StringReader(xml)));
            String alias = XPathFactory.newInstance().newXPath()
                    .evaluate("/domain/devices/disk[target/@dev='" + target + "']/alias/@name", doc);
            if (alias.isEmpty()) {
                throw new AssertionError(domain + ": no alias for disk " + target + " in its live XML:\n" + xml);
            }
            return "/machine/peripheral/" + alias + "/virtio-backend";
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(domain + ": cannot read its domain XML: " + e, e);
        }
    }
}
