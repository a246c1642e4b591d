package dev.virtchain.app.backup;

import dev.virtchain.xml.BackupDisk;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.Consoles;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainBackup;
import dev.virtchain.xml.DomainCheckpoint;
import dev.virtchain.xml.LibvirtXmlException;
import java.util.List;

/**
 * The XML code a backup runs right after it connects, run once on a made-up domain in a daemon
 * thread while the CLI connects: the first parse of a domain XML and the first backup and
 * checkpoint XML cost 0.1 to 0.5 s of class initialisation and Jackson's (de)serializer building
 * (VIRTCHAIN_TRACE, bench machine), which then runs beside the connect instead of after it. It
 * touches no file and no hypervisor; what it builds is thrown away.
 */
final class Warmup {
    private static final String DOMAIN = "<domain type='qemu'><name>warmup</name>"
            + "<uuid>00000000-0000-4000-8000-000000000000</uuid><devices>"
            + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            + "<source file='/nonexistent/warmup.qcow2'/><target dev='vda' bus='virtio'/></disk>"
            + "<channel type='unix'><target type='virtio' name='" + Consoles.GUEST_AGENT_CHANNEL
            + "' state='disconnected'/></channel></devices></domain>";

    private Warmup() {
    }

    /** Starts the warm-up; returns at once. */
    static void start() {
        Thread t = new Thread(Warmup::run, "virtchain-warmup");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        try {
            Domain.parse(DOMAIN).disks();
            Consoles.guestAgentState(DOMAIN);
            DomainBackup.since("warmup.0", List.of(BackupDisk.file("vda", "/nonexistent/vda.partial"))).toXml();
            DomainCheckpoint.create("warmup.1", "warmup", List.of(CheckpointDisk.tracked("vda"))).toXml();
        } catch (LibvirtXmlException | RuntimeException e) {
            // a warm-up only: the backup itself meets and reports whatever is wrong
        }
    }
}
