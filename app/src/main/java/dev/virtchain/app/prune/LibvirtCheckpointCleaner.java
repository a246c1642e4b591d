package dev.virtchain.app.prune;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.io.DurableFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    public void delete(String checkpoint, Runnable inLibvirtDone) throws IOException, Unreachable {
        try {
            List<String> known = new ArrayList<>(hypervisor.checkpointNames(domain));
            if (known.contains(checkpoint) || redefine(checkpoint, known, new HashSet<>())) {
                deleteInLibvirt(checkpoint);
            }
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                throw new Unreachable("domain " + domain + " is not defined on " + hypervisor.uri());
            }
            if (!e.isNoCheckpoint()) {
                throw e;
            }
        }
        inLibvirtDone.run();
        Path xml = dir.resolve(Naming.checkpointXml(checkpoint));
        if (Files.isRegularFile(xml)) {
            reparentChildren(checkpoint, parentOf(Files.readString(xml)));
        }
        Files.deleteIfExists(xml);
    }

    /**
     * Redefines a checkpoint libvirt does not know from its saved XML, its unknown ancestors first
     * (libvirt refuses a parent it does not know); whether it is defined now. This is how a checkpoint
     * deleted while libvirt had lost it (a domain undefined and defined again, a reinstalled daemon)
     * still has its bitmap removed from the guest's disks, instead of being left there for qemu to
     * update on every write. One whose bitmap is gone (a run killed after libvirt deleted it) is refused
     * by libvirt on a running domain: there is nothing left to delete in libvirt then.
     */
    private boolean redefine(String checkpoint, List<String> known, Set<String> seen) throws IOException {
        Path xml = dir.resolve(Naming.checkpointXml(checkpoint));
        if (!seen.add(checkpoint) || !Files.isRegularFile(xml)) {
            return false;
        }
        String text = Files.readString(xml);
        String parent = parentOf(text);
        if (parent != null && !known.contains(parent) && !redefine(parent, known, seen)) {
            return false;
        }
        try {
            hypervisor.redefineCheckpoint(domain, text);
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                throw e;
            }
            return false;
        }
        known.add(checkpoint);
        return true;
    }

    /** Deletes the checkpoint and its bitmaps; when libvirt cannot remove the bitmaps, its metadata at least. */
    private void deleteInLibvirt(String checkpoint) throws HypervisorException {
        try {
            hypervisor.deleteCheckpoint(domain, checkpoint, false);
        } catch (HypervisorException e) {
            if (e.isNoDomain() || e.isNoCheckpoint()) {
                throw e;
            }
            hypervisor.deleteCheckpoint(domain, checkpoint, true);
        }
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
