package dev.virtchain.xml;

import static dev.virtchain.xml.LibvirtSchemas.assertValid;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every XML virtchain generates, and every fixture it is tested on, against libvirt's schemas. */
class SchemaValidationTest {

    @Test
    void aFullBackupIsAValidDomainbackup() {
        assertValid("domainbackup.rng", DomainBackup.full(List.of(
                BackupDisk.file("vda", "/backup/web1/vda.0000.full.qcow2.partial"),
                BackupDisk.file("vdb", "/backup/web1/vdb.0000.full.qcow2.partial"),
                BackupDisk.skipped("sda"))).toXml());
    }

    @Test
    void anIncrementalBackupWithPerDiskModesIsAValidDomainbackup() {
        assertValid("domainbackup.rng", DomainBackup.since("virtchain.3f2a.0001", List.of(
                BackupDisk.file("vda", "/backup/web1/vda.0002.inc.qcow2.partial"),
                BackupDisk.file("vdc", "/backup/web1/vdc.0002.inc.qcow2.partial").withFullCopy(),
                BackupDisk.file("vdd", "/backup/web1/vdd.0002.diff.qcow2.partial")
                        .withIncrementalSince("virtchain.3f2a.0000"),
                BackupDisk.skipped("vdb"))).toXml());
    }

    @Test
    void aBackupWithoutDisksIsAValidDomainbackup() {
        assertValid("domainbackup.rng", DomainBackup.full(List.of()).toXml());
    }

    @Test
    void aNewCheckpointIsAValidDomaincheckpoint() {
        assertValid("domaincheckpoint.rng", DomainCheckpoint.create("virtchain.3f2a.0002",
                "virtchain inc backup 0002 <of web1> & co", List.of(
                        CheckpointDisk.tracked("vda"),
                        CheckpointDisk.tracked("vdc", "virtchain.3f2a.0002"),
                        CheckpointDisk.untracked("vdb"))).toXml());
    }

    @Test
    void aBareCheckpointIsAValidDomaincheckpoint() {
        assertValid("domaincheckpoint.rng", DomainCheckpoint.create("virtchain.3f2a.0000", null, List.of()).toXml());
    }

    @Test
    void theCheckpointFixtureIsWhatLibvirtWouldAccept() {
        assertValid("domaincheckpoint.rng", Fixtures.CHECKPOINT_FROM_LIBVIRT);
    }

    @Test
    void theDomainFixturesAreValidDomains() {
        assertValid("domain.rng", Fixtures.UEFI_DOMAIN);
        assertValid("domain.rng", Fixtures.DIRECT_KERNEL_DOMAIN);
    }

    @Test
    void aRestoreRewriteIsAValidDomain() throws LibvirtXmlException {
        assertValid("domain.rng", DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .name("web1-restored")
                .uuid(UUID.fromString("9a1b2c3d-4e5f-4061-8172-93a4b5c6d7e8"))
                .disk("vda", "/restore/web1/vda.qcow2", null)
                .disk("vdb", "/restore/web1/vdb.qcow2", "qcow2")
                .disk("vdc", "/restore/web1/vdc.qcow2", null)
                .removeInterfaces()
                .toXml());
    }

    @Test
    void aBootRewriteOfTheTestGuestIsAValidDomain() throws LibvirtXmlException {
        assertValid("domain.rng", DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN)
                .name("vc-guest-boot-0003")
                .uuid(UUID.randomUUID())
                .disk("vda", "/tmp/virtchain-boot/vda.overlay.qcow2", "qcow2")
                .toXml());
    }

    @Test
    void anIsolatedBootRewriteIsAValidDomain() throws LibvirtXmlException {
        assertValid("domain.rng", DomainRewrite.of(Fixtures.UEFI_DOMAIN)
                .name("web1-verify-0003")
                .uuid(UUID.randomUUID())
                .disk("vda", "/var/tmp/virtchain-boot/web1-verify-0003/vda.overlay.qcow2", "qcow2")
                .removeDisk("vdb")
                .removeDisk("vdc")
                .removeInterfaces()
                .charDeviceFilesInto("/var/tmp/virtchain-boot/web1-verify-0003")
                .serialToFile("/var/tmp/virtchain-boot/web1-verify-0003/console.log")
                .toXml());
        assertValid("domain.rng", DomainRewrite.of(Fixtures.DIRECT_KERNEL_DOMAIN)
                .cmdline("console=ttyS0 vc.do=sum")
                .serialToFile("/tmp/console.log")
                .toXml());
    }

    @Test
    void theValidatorRejectsWhatLibvirtWouldReject() {
        // A block target in the file group: libvirt's schema says no, so must the validator.
        String bad = """
                <domainbackup mode='push'>
                  <disks>
                    <disk name='vda' backup='no' type='file'/>
                  </disks>
                </domainbackup>
                """;
        assertFalse(LibvirtSchemas.validate("domainbackup.rng", bad).isEmpty());
    }
}
