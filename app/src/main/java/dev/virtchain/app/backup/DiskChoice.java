package dev.virtchain.app.backup;

import dev.virtchain.chain.SourceDisk;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.xml.DiskSelection;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import dev.virtchain.xml.SkippedDisk;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The disks a run backs up (docs/DESIGN.md, "How one push backup runs", step 2): what libvirt can back
 * up, narrowed by --include and --exclude, each with its virtual size now.
 */
final class DiskChoice {
    private DiskChoice() {
    }

    /** The planner's source disks for {@code domain}; a disk skipped without being asked about is a warning. */
    static List<SourceDisk> of(BackupOptions o, Domain domain, Consumer<String> warn) throws IOException {
        List<SourceDisk> sources = new ArrayList<>();
        for (DomainDisk d : choose(o, domain, warn)) {
            sources.add(new SourceDisk(d.targetDev(), virtualSize(d), d.canCarryBitmaps()));
        }
        return sources;
    }

    private static List<DomainDisk> choose(BackupOptions o, Domain domain, Consumer<String> warn)
            throws BackupException {
        DiskSelection sel = DiskSelection.of(domain);
        Set<String> known = new HashSet<>();
        domain.disks().forEach(d -> known.add(d.targetDev()));
        for (String want : o.include()) {
            if (!known.contains(want)) {
                throw new BackupException(ErrorKind.NOT_FOUND,
                        "domain " + domain.name() + " has no disk " + want + " (--include)");
            }
        }
        for (SkippedDisk s : sel.skipped()) {
            if (o.include().contains(s.disk().targetDev())) {
                throw new BackupException(ErrorKind.UNSUPPORTED, "disk " + s.disk().targetDev() + " of " + domain.name()
                        + " cannot be backed up: " + s.reason());
            }
            if (s.disk().device().equals("disk")) {
                warn.accept("disk " + s.disk().targetDev() + " skipped: " + s.reason());
            }
        }
        List<DomainDisk> out = new ArrayList<>();
        for (DomainDisk d : sel.backupable()) {
            boolean in = o.include().isEmpty() || o.include().contains(d.targetDev());
            if (in && !o.exclude().contains(d.targetDev())) {
                out.add(d);
            }
        }
        if (out.isEmpty()) {
            throw new BackupException(ErrorKind.CONFLICT, "domain " + domain.name() + " has no disk left to back up");
        }
        return out;
    }

    private static long virtualSize(DomainDisk d) throws IOException {
        try (Image img = Images.open(d.source(), d.driverType(), false)) {
            if (img.virtualSize() <= 0) {
                throw new BackupException(ErrorKind.UNSUPPORTED, "disk " + d.targetDev() + " (" + d.source()
                        + ") has virtual size 0: there is nothing to back up; leave it out with --exclude");
            }
            return img.virtualSize();
        }
    }
}
