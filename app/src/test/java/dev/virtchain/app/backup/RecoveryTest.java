package dev.virtchain.app.backup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.xml.DomainBackup;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which running backup job is a dead run's of this directory, read from libvirt's job XML. */
class RecoveryTest {
    @TempDir
    Path tmp;

    /** virDomainBackupGetXMLDesc of a running push job, as libvirt 9.0 writes it. */
    private static DomainBackup job(Path target) throws Exception {
        return DomainBackup.parse("<domainbackup mode='push'>\n"
                + "  <incremental>virtchain.5e7a1c2b.0000</incremental>\n"
                + "  <disks>\n"
                + "    <disk name='vda' backup='yes' type='file' backupmode='incremental'"
                + " incremental='virtchain.5e7a1c2b.0000' state='running'>\n"
                + "      <driver type='qcow2'/>\n"
                + "      <target file='" + target + "'/>\n"
                + "    </disk>\n"
                + "    <disk name='sda' backup='no'/>\n"
                + "  </disks>\n"
                + "</domainbackup>\n");
    }

    @Test
    void aJobWritingPartialFilesIntoTheDirectoryIsADeadRunsOfIt() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("backup"));
        assertTrue(Recovery.writesInto(job(dir.toAbsolutePath().resolve("vda.0001.inc.qcow2.partial")), dir));
        assertTrue(Recovery.writesInto(job(dir.toAbsolutePath().resolve("vda.0001.inc.qcow2.partial")),
                tmp.resolve("backup/../backup")), "the same directory by another path");
    }

    @Test
    void aJobIntoAnotherDirectoryOrUnderAFinalNameIsNotOurs() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("backup"));
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        assertFalse(Recovery.writesInto(job(elsewhere.resolve("vda.0001.inc.qcow2.partial")), dir));
        assertFalse(Recovery.writesInto(job(dir.toAbsolutePath().resolve("vda.qcow2")), dir));
    }
}
