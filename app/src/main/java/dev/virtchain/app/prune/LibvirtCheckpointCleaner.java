package dev.virtchain.app.prune;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.io.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deletes checkpoints of one domain through libvirt, then their XML saved in the backup directory.
 *
 * <p>The saved XML of the checkpoints that stay is kept as libvirt keeps its own: a checkpoint whose
 * parent is deleted gets the deleted one's parent (libvirt reparents the children when it deletes a
 * checkpoint). Backup redefines lost checkpoints from that XML (a transient domain, a domain
 * undefined and defined again, a reinstalled daemon), and libvirt refuses to redefine one whose
 * parent it does not know; the parent also has to be right, because a diff's bitmap is the merge of
 * its checkpoint's and every descendant's.
 */
public final class LibvirtCheckpointCleaner implements CheckpointCleaner {
    private static final Pattern PARENT = Pattern.compile("\\s*<parent>\\s*<name>([^<]+)</name>\\s*</parent>");

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
        Path xml = dir.resolve(Naming.checkpointXml(checkpoint));
        if (Files.isRegularFile(xml)) {
            reparentChildren(checkpoint, parentOf(Files.readString(xml)));
        }
        Files.deleteIfExists(xml);
    }

    /**
     * Gives every saved checkpoint XML whose parent is {@code checkpoint} the parent {@code parent}
     * (none when null), each replaced durably and atomically (DurableFiles). Run again after a crash, it finds nothing left to
     * change; the deleted checkpoint's XML goes only after this, so its parent is known until then.
     */
    private void reparentChildren(String checkpoint, String parent) throws IOException {
        Path saved = dir.resolve(Naming.CHECKPOINTS_DIR);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(saved, "*.xml")) {
            for (Path child : s) {
                String text = Files.readString(child);
                if (!checkpoint.equals(parentOf(text))) {
                    continue;
                }
                DurableFiles.writeString(child, withParent(text, parent));
            }
        }
    }

    /** The parent a checkpoint's XML names, or null. */
    static String parentOf(String checkpointXml) {
        Matcher m = PARENT.matcher(checkpointXml);
        return m.find() ? m.group(1).strip() : null;
    }

    /** The checkpoint XML with its parent replaced by {@code parent}, or removed when null. */
    static String withParent(String checkpointXml, String parent) {
        Matcher m = PARENT.matcher(checkpointXml);
        if (!m.find()) {
            return checkpointXml;
        }
        if (parent == null) {
            return checkpointXml.substring(0, m.start()) + checkpointXml.substring(m.end());
        }
        String indent = checkpointXml.substring(m.start(), m.end()).replaceAll("(?s)<parent>.*", "");
        return checkpointXml.substring(0, m.start()) + indent + "<parent>" + indent + "  <name>" + parent
                + "</name>" + indent + "</parent>" + checkpointXml.substring(m.end());
    }
}
