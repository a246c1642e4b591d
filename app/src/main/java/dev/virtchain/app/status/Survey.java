package dev.virtchain.app.status;

import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.state.RunRecord;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestException;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.xml.CheckpointDisk;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainCheckpoint;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the backup directories under a root, and asks libvirt about their domains' checkpoints.
 * Reads only: no lock is taken, nothing is written, an interrupted prune is left for the next
 * command that writes.
 */
final class Survey {
    private final Hypervisor hv;
    private final String unreachable;

    /**
     * A survey that asks {@code hv} about checkpoints; with {@code hv} null, every domain's checkpoint
     * health is unknown because of {@code unreachable} ("cannot connect to qemu:///system: ...").
     */
    Survey(Hypervisor hv, String unreachable) {
        this.hv = hv;
        this.unreachable = unreachable;
    }

    /**
     * The backup directories {@code root} stands for: itself when it is one (it holds a manifest or a
     * run record), else its subdirectories that are, in name order (ROOT/&lt;domain&gt;, as
     * {@code backup --all -o ROOT} lays them out).
     */
    static List<Path> directories(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new ImageException(ErrorKind.NOT_FOUND, root.toString(), "no such directory");
        }
        if (isBackupDirectory(root)) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.list(root)) {
            List<Path> dirs = s.filter(Files::isDirectory).filter(Survey::isBackupDirectory).sorted().toList();
            if (dirs.isEmpty()) {
                throw new ImageException(ErrorKind.NOT_FOUND, root.toString(), "no backup directory here: neither it nor"
                        + " a directory in it holds " + Naming.MANIFEST + " or " + Naming.LAST_RUN);
            }
            return dirs;
        }
    }

    private static boolean isBackupDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(Naming.MANIFEST)) || Files.isRegularFile(dir.resolve(Naming.LAST_RUN));
    }

    /** The status of backup directory {@code dir}; what cannot be read is its {@code error}, never an exception. */
    DomainStatus read(Path dir) {
        Manifest m = null;
        RunRecord run = null;
        String error = null;
        try {
            m = ManifestFile.read(dir).orElse(null);
        } catch (IOException | ManifestException | RuntimeException e) {
            error = ExitCodes.describe(e);
        }
        try {
            run = RunRecord.read(dir).orElse(null);
        } catch (IOException e) {
            error = error != null ? error : ExitCodes.describe(e);
        }
        String domain = m != null ? m.domain().name() : run != null ? run.domain() : dir.getFileName().toString();
        long bytes = bytesOnDisk(dir);
        if (m == null) {
            String why = error != null ? "the manifest cannot be read" : "no backup yet";
            return new DomainStatus(dir, domain, null, 0, 0, bytes, run, CheckpointHealth.unknown(null, why), null, error);
        }
        Backup newest = m.latest().orElse(null);
        Long[] nextInc = new Long[1];
        CheckpointHealth health = checkpoints(m, nextInc);
        return new DomainStatus(dir, domain, newest, m.restorePoints().size(), chainLength(m), bytes, run, health,
                nextInc[0], error);
    }

    /** How many files a restore of the chain's newest point reads for its longest disk chain. */
    static int chainLength(Manifest m) {
        return m.chainTip().map(tip -> RestorePoint.chains(m, tip).stream().mapToInt(c -> c.layers().size()).max()
                .orElse(0)).orElse(0);
    }

    /** Bytes allocated to every file under {@code dir}, as du counts them. */
    static long bytesOnDisk(Path dir) {
        long[] sum = new long[1];
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(Files::isRegularFile).forEach(f -> sum[0] += Math.max(0, NativeFiles.allocatedBytes(f)));
        } catch (IOException | java.io.UncheckedIOException e) {
            // a file deleted while walking (a prune, a run cleaning up): the sum of what was there
        }
        return sum[0];
    }

    /**
     * libvirt's checkpoints of {@code m}'s domain against the manifest; {@code nextInc[0]} gets the
     * size libvirt counts since the chain tip's checkpoint, when it could count it.
     *
     * <p>A running domain's bitmaps are checked by asking each expected checkpoint's size: libvirt
     * (9.0, qemuCheckpointGetXMLDescUpdateSize) leaves out the size of a disk whose bitmap chain is
     * not valid (a bitmap missing, or inconsistent after qemu died), and only of such a disk among
     * those the domain still has; a refusal as inconsistent means the same.
     */
    private CheckpointHealth checkpoints(Manifest m, Long[] nextInc) {
        if (hv == null) {
            return CheckpointHealth.unknown(m, unreachable);
        }
        String name = m.domain().name();
        try {
            hv.domain(name);
            List<String> listed = hv.checkpointNames(name);
            if (!hv.isActive(name)) {
                return CheckpointHealth.of(m, listed, null, "bitmaps not checked: domain not running");
            }
            Set<String> disks = new HashSet<>();
            Domain.parse(hv.domainXml(name)).disks().forEach(d -> disks.add(d.targetDev()));
            String tip = m.chainTip().map(Backup::checkpoint).orElse(null);
            List<String> stale = new ArrayList<>();
            for (String cp : CheckpointHealth.expected(m)) {
                if (!listed.contains(cp)) {
                    continue;
                }
                Long size = changed(name, cp, disks);
                if (size == null) {
                    stale.add(cp);
                } else if (cp.equals(tip)) {
                    nextInc[0] = size;
                }
            }
            return CheckpointHealth.of(m, listed, stale, null);
        } catch (HypervisorException | LibvirtXmlException e) {
            return CheckpointHealth.unknown(m, ExitCodes.describe(e));
        }
    }

    /**
     * The bytes libvirt counts as changed since checkpoint {@code cp} on the domain's {@code disks},
     * or null when it cannot count them for one of them: its bitmap is missing or broken.
     */
    private Long changed(String domain, String cp, Set<String> disks) throws HypervisorException, LibvirtXmlException {
        String xml;
        try {
            xml = hv.checkpointSizeXml(domain, cp);
        } catch (HypervisorException e) {
            if (e.isCheckpointInconsistent()) {
                return null;
            }
            throw e;
        }
        long sum = 0;
        for (CheckpointDisk d : DomainCheckpoint.parse(xml).disks()) {
            if (d.bitmap() && disks.contains(d.name())) {
                if (d.size() == null) {
                    return null;
                }
                sum += d.size();
            }
        }
        return sum;
    }
}
