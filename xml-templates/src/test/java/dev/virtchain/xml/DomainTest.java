package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainTest {

    @Test
    void readsNameUuidAndTypeOfARunningDomain() throws LibvirtXmlException {
        Domain d = Domain.parse(Fixtures.UEFI_DOMAIN);
        assertEquals("kvm", d.type());
        assertEquals("web1", d.name());
        assertEquals("5b3c9f9e-2f6a-4c39-9d0e-3c8d1b7a4f21", d.uuid());
    }

    @Test
    void readsUefiFirmwareAndNvram() throws LibvirtXmlException {
        DomainOs os = Domain.parse(Fixtures.UEFI_DOMAIN).os();
        assertEquals(new DomainOs.Loader("/usr/share/OVMF/OVMF_CODE_4M.fd", true, "pflash"), os.loader());
        assertEquals("/var/lib/libvirt/qemu/nvram/web1_VARS.fd", os.nvram());
        assertNull(os.kernel());
        assertNull(os.initrd());
    }

    @Test
    void readsDirectKernelBoot() throws LibvirtXmlException {
        Domain d = Domain.parse(Fixtures.DIRECT_KERNEL_DOMAIN);
        assertEquals("qemu", d.type());
        assertEquals(new DomainOs(null, null, "/var/lib/virtchain/guest/vmlinuz-6.1.0-18-cloud-amd64",
                "/var/lib/virtchain/guest/initrd.cpio.gz"), d.os());
    }

    @Test
    void readsTheNvramSourceFormOfLibvirt8_5() throws LibvirtXmlException {
        Domain d = Domain.parse("""
                <domain type='kvm'><name>n</name><os firmware='efi'>
                  <loader readonly='no'/>
                  <nvram type='file'><source file='/var/lib/libvirt/qemu/nvram/n_VARS.fd'/></nvram>
                </os></domain>""");
        assertEquals("/var/lib/libvirt/qemu/nvram/n_VARS.fd", d.os().nvram());
        assertEquals(new DomainOs.Loader(null, false, null), d.os().loader());
    }

    @Test
    void readsAnNvramAndALoaderWithoutAttributes() throws LibvirtXmlException {
        Domain d = Domain.parse("""
                <domain type='kvm'><name>n</name><os>
                  <loader>/usr/share/OVMF/OVMF_CODE.fd</loader>
                  <nvram>/var/lib/libvirt/qemu/nvram/n_VARS.fd</nvram>
                </os></domain>""");
        assertEquals("/var/lib/libvirt/qemu/nvram/n_VARS.fd", d.os().nvram());
        assertEquals(new DomainOs.Loader("/usr/share/OVMF/OVMF_CODE.fd", false, null), d.os().loader());
    }

    @Test
    void readsEveryDiskInDocumentOrder() throws LibvirtXmlException {
        List<DomainDisk> disks = Domain.parse(Fixtures.UEFI_DOMAIN).disks();
        assertEquals(List.of("vda", "vdb", "vdc", "sda", "sdb", "vdd", "vde"),
                disks.stream().map(DomainDisk::targetDev).toList());
        assertEquals(new DomainDisk("file", "disk", "qemu", "qcow2", "unmap",
                "/var/lib/libvirt/images/web1.qcow2", null, "vda", "virtio",
                false, false, true, false), disks.get(0));
        assertEquals(new DomainDisk("block", "disk", "qemu", "raw", null,
                "/dev/vg0/web1-data", null, "vdb", "virtio",
                false, true, true, false), disks.get(1));
    }

    @Test
    void tellsAnEmptyBackingStoreFromABackingChain() throws LibvirtXmlException {
        Domain d = Domain.parse(Fixtures.UEFI_DOMAIN);
        assertTrue(d.disk("vda").backingStore());
        assertFalse(d.disk("vda").backingChain());
        assertTrue(d.disk("vdc").backingStore());
        assertTrue(d.disk("vdc").backingChain());
        // The backing image's <source> must not be taken for the disk's own.
        assertEquals("/var/lib/libvirt/images/web1-logs.qcow2", d.disk("vdc").source());
        assertFalse(d.disk("vde").backingStore());
    }

    @Test
    void readsCdromNetworkAndVolumeDisks() throws LibvirtXmlException {
        Domain d = Domain.parse(Fixtures.UEFI_DOMAIN);
        assertEquals("cdrom", d.disk("sda").device());
        assertTrue(d.disk("sda").readonly());
        assertEquals("lun", d.disk("sdb").device());
        assertEquals("rbd", d.disk("vdd").sourceProtocol());
        assertEquals("rbd/web1-scratch", d.disk("vdd").source());
        assertEquals("default/web1-tmp.qcow2", d.disk("vde").source());
    }

    @Test
    void anEmptyFloppyHasNoSource() throws LibvirtXmlException {
        DomainDisk fda = Domain.parse(Fixtures.DIRECT_KERNEL_DOMAIN).disk("fda");
        assertEquals("floppy", fda.device());
        assertNull(fda.source());
        assertFalse(fda.backingStore());
    }

    @Test
    void disksSplitByOtherDevicesAreAllRead() throws LibvirtXmlException {
        Domain d = Domain.parse("""
                <domain type='kvm'><name>x</name><devices>
                  <disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk>
                  <controller type='usb'/>
                  <disk type='file' device='disk'><source file='/b'/><target dev='vdb'/></disk>
                  <interface type='network'/>
                  <disk type='file' device='disk'><source file='/c'/><target dev='vdc'/></disk>
                </devices></domain>""");
        assertEquals(List.of("/a", "/b", "/c"), d.disks().stream().map(DomainDisk::source).toList());
    }

    @Test
    void missingTypeAndDeviceTakeLibvirtsDefaults() throws LibvirtXmlException {
        DomainDisk d = Domain.parse(
                "<domain><name>x</name><devices><disk><source file='/a'/><target dev='hda'/></disk></devices></domain>")
                .disks().get(0);
        assertEquals("file", d.type());
        assertEquals("disk", d.device());
    }

    @Test
    void aDomainWithoutNameIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> Domain.parse("<domain type='kvm'/>"));
        assertEquals("domain XML: <domain> has no <name>", e.getMessage());
    }

    @Test
    void malformedXmlIsRefusedInOneLine() {
        var e = assertThrows(LibvirtXmlException.class, () -> Domain.parse("<domain><name>x</domain>"));
        assertTrue(e.getMessage().startsWith("domain XML: malformed XML: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void contentThatCannotBeReadIsNamedByItsElementsNeverByAJavaClass() {
        var e = assertThrows(LibvirtXmlException.class, () -> Domain.parse("""
                <domain type='kvm'><name>n</name><os>
                  <nvram><source>/var/lib/libvirt/qemu/nvram/n_VARS.fd</source></nvram>
                </os></domain>"""));
        assertEquals("domain XML: cannot read <os><nvram><source> (line 2, column 55)", e.getMessage());
        assertFalse(e.getMessage().contains("dev.virtchain") || e.getMessage().contains("Dto"), e.getMessage());
    }

    @Test
    void anEntityFromOutsideIsNeverRead() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE domain [<!ENTITY pw SYSTEM "file:///etc/passwd">]>
                <domain><name>&pw;</name></domain>""";
        assertThrows(LibvirtXmlException.class, () -> Domain.parse(xxe));
    }

    @Test
    void emptyInputIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> Domain.parse("  "));
        assertEquals("domain XML: empty document", e.getMessage());
    }
}
