package dev.virtchain.app.backup;

import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.xml.Domain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The files a backup keeps beside its disk images (docs/DESIGN.md, "Backup directory"): the domain XML
 * ({@code domain.SEQ.xml}), a persistent domain's inactive definition ({@code domain.SEQ.inactive.xml}), the new checkpoint's XML for a later redefinition
 * ({@code checkpoints/NAME.xml}), and the UEFI variables, kernel and initrd the domain boots from
 * ({@code nvram.SEQ.fd}, {@code kernel.SEQ}, {@code initrd.SEQ}). Saved before the manifest names
 * the backup, deleted again when the run fails: one list for both.
 */
final class SideFiles {
    private final Path dir;
    private final BackupPlan plan;
    private final Consumer<String> warn;

    SideFiles(Path dir, BackupPlan plan, Consumer<String> warn) {
        this.dir = dir;
        this.plan = plan;
        this.warn = warn;
    }

    /**
     * Saves the domain's XML, its inactive definition ({@code inactiveXml}, null for a transient
     * domain), {@code checkpointXml} (null for a copy) and its boot files; a boot
     * file unchanged since backup {@code previous} (null for none) is a hard link to its copy there.
     * A boot file that cannot be copied is a warning: the disks are the backup.
     */
    void save(Domain domain, String domainXml, String inactiveXml, String checkpointXml, Integer previous)
            throws IOException {
        writeFile(dir.resolve(plan.domainXml()), domainXml);
        if (inactiveXml != null) {
            writeFile(dir.resolve(Naming.inactiveDomainXml(plan.seq())), inactiveXml);
        }
        if (checkpointXml != null) {
            writeFile(dir.resolve(plan.checkpointXml()), checkpointXml);
        }
        saveBootFile(domain.os().nvram(), Naming.BootFile.NVRAM, previous);
        saveBootFile(domain.os().kernel(), Naming.BootFile.KERNEL, previous);
        saveBootFile(domain.os().initrd(), Naming.BootFile.INITRD, previous);
    }

    /** Deletes whatever {@link #save} may have written, under final and partial names. */
    void delete() {
        List<String> own = new ArrayList<>(List.of(plan.domainXml(), Naming.inactiveDomainXml(plan.seq())));
        for (Naming.BootFile kind : Naming.BootFile.values()) {
            own.add(kind.file(plan.seq()));
        }
        if (plan.checkpointXml() != null) {
            own.add(plan.checkpointXml());
        }
        for (String f : own) {
            try {
                Files.deleteIfExists(dir.resolve(f));
                Files.deleteIfExists(dir.resolve(f + Naming.PARTIAL_SUFFIX));
            } catch (IOException e) {
                warn.accept("could not delete " + dir.resolve(f) + " of the failed run: " + e.getMessage());
            }
        }
    }

    private void saveBootFile(String source, Naming.BootFile kind, Integer previous) {
        if (source == null || source.isBlank()) {
            return;
        }
        Path target = dir.resolve(kind.file(plan.seq()));
        try {
            Files.deleteIfExists(target);
            Path before = previous == null ? null : dir.resolve(kind.file(previous));
            if (before != null && Files.isRegularFile(before) && Files.mismatch(before, Path.of(source)) == -1) {
                Files.createLink(target, before);
            } else {
                DurableFiles.copy(Path.of(source), target, DurableFiles.IfExists.FAIL);
            }
        } catch (IOException e) {
            warn.accept("could not save " + source + " with the backup: " + e.getMessage());
        }
    }

    private static void writeFile(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        DurableFiles.writeString(file, text);
    }
}
