package dev.virtchain.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainBackupTest {

    @Test
    void aFullBackupWritesPushModeWithAQcow2TargetPerDisk() {
        String xml = DomainBackup.full(List.of(
                BackupDisk.file("vda", "/backup/web1/vda.0000.full.qcow2.partial"),
                BackupDisk.skipped("sda"))).toXml();
        assertEquals("""
                <domainbackup mode="push">
                  <disks>
                    <disk name="vda" backup="yes" type="file">
                      <target file="/backup/web1/vda.0000.full.qcow2.partial"/>
                      <driver type="qcow2"/>
                    </disk>
                    <disk name="sda" backup="no"/>
                  </disks>
                </domainbackup>
                """, xml);
    }

    @Test
    void anIncrementalBackupNamesItsCheckpointAndPerDiskModes() {
        String xml = DomainBackup.since("virtchain.3f2a.0001", List.of(
                BackupDisk.file("vda", "/b/vda.0002.inc.qcow2").withIncrementalSince("virtchain.3f2a.0000"),
                BackupDisk.file("vdb", "/b/vdb.0002.inc.qcow2").withFullCopy())).toXml();
        assertEquals("""
                <domainbackup mode="push">
                  <incremental>virtchain.3f2a.0001</incremental>
                  <disks>
                    <disk name="vda" backup="yes" type="file" backupmode="incremental" incremental="virtchain.3f2a.0000">
                      <target file="/b/vda.0002.inc.qcow2"/>
                      <driver type="qcow2"/>
                    </disk>
                    <disk name="vdb" backup="yes" type="file" backupmode="full">
                      <target file="/b/vdb.0002.inc.qcow2"/>
                      <driver type="qcow2"/>
                    </disk>
                  </disks>
                </domainbackup>
                """, xml);
    }

    @Test
    void whatWeWriteReadsBackEqual() throws LibvirtXmlException {
        List<DomainBackup> backups = List.of(
                DomainBackup.full(List.of()),
                DomainBackup.full(List.of(BackupDisk.file("vda", "/b/vda.q"), BackupDisk.skipped("hdc"))),
                DomainBackup.since("cp.1", List.of(
                        BackupDisk.file("vda", "/b/vda.q").withFullCopy(),
                        BackupDisk.file("vdb", "/b/vdb.q").withIncrementalSince("cp.0"),
                        BackupDisk.skipped("vdc"))));
        for (DomainBackup b : backups) {
            assertEquals(b, DomainBackup.parse(b.toXml()));
        }
    }

    @Test
    void readsTheJobXmlLibvirtReturns() throws LibvirtXmlException {
        // virDomainBackupGetXMLDesc during a push job: single quotes, disks not asked for listed as no.
        DomainBackup b = DomainBackup.parse("""
                <domainbackup mode='push'>
                  <incremental>virtchain.3f2a.0001</incremental>
                  <disks>
                    <disk name='vda' backup='yes' type='file' backupmode='incremental' incremental='virtchain.3f2a.0001' state='running'>
                      <driver type='qcow2'/>
                      <target file='/b/vda.0002.inc.qcow2.partial'/>
                    </disk>
                    <disk name='sda' backup='no'/>
                  </disks>
                </domainbackup>
                """);
        assertEquals("virtchain.3f2a.0001", b.incremental());
        assertEquals(new BackupDisk("vda", true, DiskBackupMode.INCREMENTAL, "virtchain.3f2a.0001",
                "/b/vda.0002.inc.qcow2.partial", "qcow2"), b.disks().get(0));
        assertEquals(BackupDisk.skipped("sda"), b.disks().get(1));
    }

    @Test
    void aDiskWithoutDriverDefaultsToQcow2AndNoModeFollowsTheBackup() throws LibvirtXmlException {
        DomainBackup b = DomainBackup.parse(
                "<domainbackup><disks><disk name='vda' type='file'><target file='/b/x'/></disk></disks></domainbackup>");
        assertEquals(BackupDisk.file("vda", "/b/x"), b.disks().get(0));
        assertNull(b.incremental());
    }

    @Test
    void pullModeIsRefusedByName() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse(
                "<domainbackup mode='pull'><server name='localhost' port='10809'/></domainbackup>"));
        assertEquals("domainbackup XML: mode='pull' is not supported, only push", e.getMessage());
    }

    @Test
    void blockTargetsAreRefusedByName() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse(
                "<domainbackup><disks><disk name='vda' type='block'><target dev='/dev/sdz'/></disk></disks></domainbackup>"));
        assertTrue(e.getMessage().contains("type='block'"), e.getMessage());
    }

    @Test
    void aDiskWithoutTargetFileIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse(
                "<domainbackup><disks><disk name='vda' type='file'/></disks></domainbackup>"));
        assertEquals("domainbackup XML: disk 'vda' has no <target file=...>", e.getMessage());
    }

    @Test
    void anUnknownBackupmodeIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse(
                "<domainbackup><disks><disk name='vda' type='file' backupmode='diff'><target file='/x'/></disk></disks></domainbackup>"));
        assertTrue(e.getMessage().contains("backupmode='diff'"), e.getMessage());
    }

    @Test
    void aFullDiskWithACheckpointIsRefusedAsLibvirtsSchemaDoes() {
        assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse(
                "<domainbackup><disks><disk name='vda' type='file' backupmode='full' incremental='c'><target file='/x'/></disk></disks></domainbackup>"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new BackupDisk("vda", true, DiskBackupMode.FULL, "c", "/x", "qcow2"));
        assertTrue(e.getMessage().contains("takes no checkpoint"), e.getMessage());
    }

    @Test
    void aSkippedDiskTakesNoTarget() {
        assertThrows(IllegalArgumentException.class, () -> new BackupDisk("vda", false, null, null, "/x", null));
    }

    @Test
    void aRelativeTargetIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> BackupDisk.file("vda", "vda.0000.full.qcow2"));
        assertTrue(e.getMessage().contains("must be absolute"), e.getMessage());
    }

    @Test
    void aDiskListedTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> DomainBackup.full(List.of(
                BackupDisk.file("vda", "/a"), BackupDisk.skipped("vda"))));
    }

    @Test
    void anotherRootElementIsRefused() {
        var e = assertThrows(LibvirtXmlException.class, () -> DomainBackup.parse("<domaincheckpoint/>"));
        assertEquals("domainbackup XML: root element is <domaincheckpoint>, expected <domainbackup>", e.getMessage());
    }
}
