package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DiskSelectionTest {

    private static Map<String, String> reasons(DiskSelection s) {
        return s.skipped().stream().collect(Collectors.toMap(k -> k.disk().targetDev(), SkippedDisk::reason));
    }

    private static DiskSelection select(String diskXml) throws LibvirtXmlException {
        return DiskSelection.of(Domain.parse("<domain><name>x</name><devices>" + diskXml + "</devices></domain>"));
    }

    @Test
    void fileAndBlockDisksInQcow2OrRawAreBackedUp() throws LibvirtXmlException {
        DiskSelection s = DiskSelection.of(Domain.parse(Fixtures.UEFI_DOMAIN));
        assertEquals(List.of("vda", "vdb", "vdc"), s.backupable().stream().map(DomainDisk::targetDev).toList());
    }

    @Test
    void everyOtherDiskIsSkippedWithItsReason() throws LibvirtXmlException {
        DiskSelection s = DiskSelection.of(Domain.parse(Fixtures.UEFI_DOMAIN));
        assertEquals(Map.of(
                "sda", "cdrom: removable media is not backed up",
                "sdb", "lun: SCSI passthrough devices are not backed up",
                "vdd", "network disk (rbd): not supported, virtchain backs up file and block disks",
                "vde", "storage pool volume: not supported, virtchain backs up file and block disks"),
                reasons(s));
    }

    @Test
    void aFloppyIsSkipped() throws LibvirtXmlException {
        DiskSelection s = DiskSelection.of(Domain.parse(Fixtures.DIRECT_KERNEL_DOMAIN));
        assertEquals(Map.of("fda", "floppy: removable media is not backed up"), reasons(s));
        assertEquals("vda", s.backupable().get(0).targetDev());
    }

    @Test
    void onlyQcow2DisksCarryBitmaps() throws LibvirtXmlException {
        Domain d = Domain.parse(Fixtures.UEFI_DOMAIN);
        assertTrue(d.disk("vda").canCarryBitmaps());
        assertFalse(d.disk("vdb").canCarryBitmaps());
    }

    @Test
    void anotherImageFormatIsSkipped() throws LibvirtXmlException {
        DiskSelection s = select("<disk type='file' device='disk'><driver name='qemu' type='vmdk'/>"
                + "<source file='/a.vmdk'/><target dev='vda'/></disk>");
        assertEquals(Map.of("vda", "format 'vmdk': only qcow2 and raw disks are backed up"), reasons(s));
    }

    @Test
    void aDiskWithoutDriverTypeIsSkipped() throws LibvirtXmlException {
        DiskSelection s = select("<disk type='file' device='disk'><source file='/a'/><target dev='vda'/></disk>");
        assertEquals(Map.of("vda", "no <driver type>: image format unknown"), reasons(s));
    }

    @Test
    void aDiskWithoutSourceIsSkipped() throws LibvirtXmlException {
        DiskSelection s = select("<disk type='block' device='disk'><driver type='raw'/><target dev='vda'/></disk>");
        assertEquals(Map.of("vda", "no source: the disk is empty"), reasons(s));
    }

    @Test
    void anNvmeDiskIsSkippedByType() throws LibvirtXmlException {
        DiskSelection s = select("<disk type='nvme' device='disk'><driver type='raw'/>"
                + "<source type='pci' managed='yes' namespace='1'/><target dev='vda'/></disk>");
        assertEquals(Map.of("vda", "type='nvme': not supported, virtchain backs up file and block disks"),
                reasons(s));
    }
}
