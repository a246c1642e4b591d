package dev.virtchain.it;

import java.nio.file.Path;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Changes to a test domain that the backup engine's Hypervisor does not offer (it never needs
 * them): block resize and disk hot-plug, through libvirt-java on a connection of their own to the
 * same URI. Open the harness ({@link EmbeddedLibvirt}) first: it starts libvirt's event loop.
 */
final class DomainEdits {
    private static final int BLOCK_RESIZE_BYTES = 1; // VIR_DOMAIN_BLOCK_RESIZE_BYTES

    private DomainEdits() {
    }

    private interface OnDomain {
        void run(Domain d) throws LibvirtException;
    }

    private static void on(String uri, String domain, String what, OnDomain action) {
        Connect c = null;
        try {
            c = new Connect(uri);
            Domain d = c.domainLookupByName(domain);
            try {
                action.run(d);
            } finally {
                d.free();
            }
        } catch (LibvirtException e) {
            throw new AssertionError(domain + ": " + what + ": " + e.getMessage(), e);
        } finally {
            if (c != null) {
                try {
                    c.close();
                } catch (LibvirtException e) {
                    // closing a connection we are done with
                }
            }
        }
    }

    /** virsh blockresize on the running domain: qemu grows the image and tells the guest. */
    static void blockResize(String uri, String domain, String target, long bytes) {
        on(uri, domain, "blockresize " + target, d -> d.blockResize(target, bytes, BLOCK_RESIZE_BYTES));
    }

    /** virsh attach-device --live --config of a qcow2 virtio disk (discard passed through, as TestGuest's). */
    static void attachDisk(String uri, String domain, Path image, String target) {
        attachDisk(uri, domain, image, target, Domain.DeviceModifyFlags.LIVE | Domain.DeviceModifyFlags.CONFIG);
    }

    /** virsh attach-device --live of a qcow2 virtio disk: the running domain has it, its definition does not. */
    static void attachDiskLiveOnly(String uri, String domain, Path image, String target) {
        attachDisk(uri, domain, image, target, Domain.DeviceModifyFlags.LIVE);
    }

    private static void attachDisk(String uri, String domain, Path image, String target, int flags) {
        String xml = "<disk type='file' device='disk'>\n"
                + "  <driver name='qemu' type='qcow2' discard='unmap'/>\n"
                + "  <source file='" + image.toAbsolutePath() + "'/>\n"
                + "  <target dev='" + target + "' bus='virtio'/>\n"
                + "</disk>\n";
        on(uri, domain, "attach disk " + target, d -> d.attachDeviceFlags(xml, flags));
    }
}
