package dev.virtchain.app.boot;

import dev.virtchain.chain.Naming.BootFile;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.xml.DomainOs;
import dev.virtchain.xml.DomainRewrite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The boot files kept with a backup (UEFI variables, the kernel and initrd of a directly booted
 * domain) copied out for a restored or booted domain, whose XML then points at the copies. The
 * originals may have changed since the backup or be gone with the host; the UEFI variables are
 * written by the guest; and libvirt relabels a kernel and initrd it boots. The backup's own
 * files are never handed to libvirt.
 */
public final class BootFileCopies {
    private final Path backupDir;
    private final int seq;
    private final Map<BootFile, Path> copies;

    private BootFileCopies(Path backupDir, int seq, Map<BootFile, Path> copies) {
        this.backupDir = backupDir;
        this.seq = seq;
        this.copies = copies;
    }

    /**
     * Plans the copies of the boot files backup {@code seq} in {@code backupDir} kept and its
     * saved domain ({@code os}) uses: {@code NAME_VARS.fd}, {@code NAME.kernel} and
     * {@code NAME.initrd} in {@code into}. Nothing is copied yet.
     */
    public static BootFileCopies plan(Path backupDir, int seq, DomainOs os, Path into, String name) {
        Map<BootFile, Path> copies = new EnumMap<>(BootFile.class);
        for (BootFile kind : BootFile.values()) {
            if (used(kind, os) && Files.isRegularFile(backupDir.resolve(kind.file(seq)))) {
                copies.put(kind, into.resolve(name + suffix(kind)).toAbsolutePath());
            }
        }
        return new BootFileCopies(backupDir, seq, copies);
    }

    private static boolean used(BootFile kind, DomainOs os) {
        return switch (kind) {
            case NVRAM -> os.nvram() != null;
            case KERNEL -> os.kernel() != null;
            case INITRD -> os.initrd() != null;
        };
    }

    private static String suffix(BootFile kind) {
        return switch (kind) {
            case NVRAM -> "_VARS.fd";
            case KERNEL -> ".kernel";
            case INITRD -> ".initrd";
        };
    }

    /** Where each copy goes. */
    public Map<BootFile, Path> targets() {
        return Collections.unmodifiableMap(copies);
    }

    /**
     * Copies the files durably (replacing files in the way only when {@code replace}) and points
     * {@code xml} at the copies.
     */
    public void copyInto(DomainRewrite xml, boolean replace) throws IOException {
        for (Map.Entry<BootFile, Path> c : copies.entrySet()) {
            Path from = backupDir.resolve(c.getKey().file(seq));
            DurableFiles.copy(from, c.getValue(), replace ? DurableFiles.IfExists.REPLACE : DurableFiles.IfExists.FAIL);
            String path = c.getValue().toString();
            switch (c.getKey()) {
                case NVRAM -> xml.nvram(path);
                case KERNEL -> xml.kernel(path);
                case INITRD -> xml.initrd(path);
            }
        }
    }
}
