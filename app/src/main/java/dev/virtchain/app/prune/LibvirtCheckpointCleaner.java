package dev.virtchain.app.prune;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.chain.Naming;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Deletes checkpoints of one domain through libvirt, then their XML saved in the backup directory. */
public final class LibvirtCheckpointCleaner implements CheckpointCleaner {
    private final Hypervisor hypervisor;
    private final String domain;
    private final Path dir;

    public LibvirtCheckpointCleaner(Hypervisor hypervisor, String domain, Path dir) {
        this.hypervisor = hypervisor;
        this.domain = domain;
        this.dir = dir;
    }

    @Override
    public void delete(String checkpoint) throws IOException, Unreachable {
        try {
            if (hypervisor.checkpointNames(domain).contains(checkpoint)) {
                hypervisor.deleteCheckpoint(domain, checkpoint, false);
            }
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                throw new Unreachable("domain " + domain + " is not defined on " + hypervisor.uri());
            }
            if (!e.isNoCheckpoint()) {
                throw e;
            }
        }
        Files.deleteIfExists(dir.resolve(Naming.checkpointXml(checkpoint)));
    }
}
