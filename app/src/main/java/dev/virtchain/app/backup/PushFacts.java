package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.DomainState;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.libvirt.JobStats;
import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * What {@link PushFailures} needs to know about a push backup that failed, gathered at the moment
 * it failed (before the run deletes its targets). Every look is best effort: what cannot be read is
 * left empty, and the failure then keeps libvirt's words.
 *
 * @param dir           the backup directory
 * @param state         the domain's state and reason, or null
 * @param job           the domain's running job, or null
 * @param blockJobs     per disk of the backup, the type of a block job running on it (only those with one)
 * @param diskErrors    per disk, libvirt's I/O error code (1 an error, 2 no space)
 * @param version2Disks per disk the checkpoint would track, the source image when it is qcow2 version 2
 * @param qemu          the user the domain's qemu runs as, or null (not on this host, or not readable)
 * @param targets       the run's target files as they are on disk
 * @param ourUid        the uid virtchain runs as, -1 if unknown
 * @param usableBytes   free bytes on the file system of {@code dir} for a non-root user, -1 if unknown
 * @param confinement   "AppArmor" or "SELinux" when the domain has such a label and the host enforces it, else null
 * @param handsOver     whether libvirt gives the targets to qemu's user (qemu.conf {@code dynamic_ownership},
 *                      on unless set to 0), or null when its qemu.conf is not known here
 */
record PushFacts(Path dir, DomainState state, JobStats job, Map<String, Integer> blockJobs,
        Map<String, Integer> diskErrors, Map<String, String> version2Disks, QemuUser qemu, List<TargetFile> targets,
        int ourUid, long usableBytes, String confinement, Boolean handsOver) {

    /** A process's credentials, from {@code /proc/PID/status}. */
    record QemuUser(int uid, int gid, Set<Integer> groups, String name) {
        String describe() {
            return (name != null ? "user " + name + " " : "") + "(uid " + uid + ")";
        }
    }

    /** A target file's owner and permission bits. */
    record TargetFile(Path path, int uid, int gid, int mode) {
        boolean writableBy(QemuUser q) {
            if (q.uid() == 0) {
                return true;
            }
            if (q.uid() == uid) {
                return (mode & 0200) != 0;
            }
            if (q.gid() == gid || q.groups().contains(gid)) {
                return (mode & 0020) != 0;
            }
            return (mode & 0002) != 0;
        }

        String describe() {
            return "owner uid " + uid + ", group " + gid + ", mode " + String.format("%04o", mode & 07777);
        }
    }

    /** No facts: nothing explains a failure. */
    static PushFacts none(Path dir) {
        return new PushFacts(dir, null, null, Map.of(), Map.of(), Map.of(), null, List.of(), -1, -1, null, null);
    }

    /** Looks at the domain, its disks, its qemu and the run's targets in {@code dir} now. */
    static PushFacts gather(Hypervisor hv, Domain domain, BackupPlan plan, Targets targets, Path dir, Path proc) {
        String name = domain.name();
        DomainState state = quietly(() -> hv.state(name));
        JobStats job = quietly(() -> hv.jobStats(name));
        Map<String, Integer> blockJobs = new TreeMap<>();
        Map<String, String> version2 = new TreeMap<>();
        List<TargetFile> files = new ArrayList<>();
        for (PlannedDisk p : plan.disks()) {
            Integer type = quietly(() -> hv.blockJob(name, p.target()));
            if (type != null && type != 0) {
                blockJobs.put(p.target(), type);
            }
            DomainDisk d = domain.disk(p.target());
            if (plan.checkpoint() != null && d != null && d.canCarryBitmaps() && d.source() != null
                    && qcowVersion(d.source()) == 2) {
                version2.put(p.target(), d.source());
            }
            TargetFile t = targetFile(targets.partial(p));
            if (t != null) {
                files.add(t);
            }
        }
        Map<String, Integer> errors = quietly(() -> hv.diskErrors(name));
        QemuView view = new QemuView(proc);
        Long pid = domain.uuid() == null ? null : view.qemuPid(domain.uuid());
        QemuUser qemu = pid == null ? null : qemuUser(proc.resolve(pid.toString()).resolve("status"));
        long usable;
        try {
            usable = Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            usable = -1;
        }
        String xml = quietly(() -> hv.domainXml(name));
        return new PushFacts(dir, state, job, blockJobs, errors == null ? Map.of() : errors, version2, qemu, files,
                ourUid(proc), usable, xml == null ? null : confinement(xml), handsOver(qemuConf(hv.uri())));
    }

    /**
     * The qemu.conf of the libvirt behind {@code uri} on this host: {@code ROOT/etc/qemu.conf} of an
     * embedded root, /etc/libvirt/qemu.conf of the system daemon; null for any other URI.
     */
    static Path qemuConf(String uri) {
        if (uri.startsWith("qemu:///embed?root=")) {
            String root = uri.substring("qemu:///embed?root=".length());
            int amp = root.indexOf('&');
            return Path.of(amp < 0 ? root : root.substring(0, amp)).resolve("etc/qemu.conf");
        }
        return uri.equals("qemu:///system") ? Path.of("/etc/libvirt/qemu.conf") : null;
    }

    /**
     * Whether a qemu.conf has libvirt give each file qemu opens to qemu's user: its
     * {@code dynamic_ownership} setting, 1 when absent (libvirt's default); null when it cannot be read.
     */
    static Boolean handsOver(Path qemuConf) {
        if (qemuConf == null) {
            return null;
        }
        try {
            boolean on = true;
            for (String line : Files.readAllLines(qemuConf, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (l.startsWith("dynamic_ownership") && l.contains("=")) {
                    on = !l.substring(l.indexOf('=') + 1).strip().startsWith("0");
                }
            }
            return on;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private interface Look<T> {
        T get() throws HypervisorException;
    }

    private static <T> T quietly(Look<T> look) {
        try {
            return look.get();
        } catch (HypervisorException | RuntimeException e) {
            return null;
        }
    }

    /** The qcow2 version of an image file, or 0 when it is none or cannot be read. */
    static int qcowVersion(String file) {
        try (Image img = Images.open(file, "qcow2", false)) {
            return img instanceof Qcow2Image q ? q.header().version() : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static TargetFile targetFile(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode");
            return new TargetFile(p, (Integer) a.get("uid"), (Integer) a.get("gid"), (Integer) a.get("mode"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int ourUid(Path proc) {
        QemuUser self = qemuUser(proc.resolve("self").resolve("status"));
        return self == null ? -1 : self.uid();
    }

    /** The effective uid, gid and groups in a /proc status file, with the user's name from /etc/passwd. */
    static QemuUser qemuUser(Path status) {
        try {
            Map<String, String> f = new LinkedHashMap<>();
            for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    f.put(line.substring(0, colon), line.substring(colon + 1).strip());
                }
            }
            int uid = Integer.parseInt(f.get("Uid").split("\\s+")[1]); // real, effective, saved, fs
            int gid = Integer.parseInt(f.get("Gid").split("\\s+")[1]);
            Set<Integer> groups = new TreeSet<>();
            for (String g : f.getOrDefault("Groups", "").split("\\s+")) {
                if (!g.isEmpty()) {
                    groups.add(Integer.parseInt(g));
                }
            }
            return new QemuUser(uid, gid, groups, userName(uid));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String userName(int uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8)) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].equals(Integer.toString(uid))) {
                    return f[0];
                }
            }
        } catch (IOException | RuntimeException e) {
            // no name then
        }
        return null;
    }

    /**
     * "AppArmor" or "SELinux" when the live domain XML carries a dynamic or static label of that
     * model and the host's kernel enforces it; else null.
     */
    static String confinement(String domainXml) {
        try {
            DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
            dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList labels = dbf.newDocumentBuilder().parse(new InputSource(new StringReader(domainXml)))
                    .getElementsByTagName("seclabel");
            for (int i = 0; i < labels.getLength(); i++) {
                Element l = (Element) labels.item(i);
                if ("none".equals(l.getAttribute("type")) || l.getParentNode() == null
                        || !"domain".equals(l.getParentNode().getNodeName())) {
                    continue;
                }
                if ("apparmor".equals(l.getAttribute("model")) && enforced(Path.of("/sys/module/apparmor/parameters/enabled"), "Y")) {
                    return "AppArmor";
                }
                if ("selinux".equals(l.getAttribute("model")) && enforced(Path.of("/sys/fs/selinux/enforce"), "1")) {
                    return "SELinux";
                }
            }
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    private static boolean enforced(Path flag, String on) {
        try {
            return Files.readString(flag, StandardCharsets.UTF_8).strip().equals(on);
        } catch (IOException e) {
            return false;
        }
    }
}
