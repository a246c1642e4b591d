package dev.virtchain.app.boot;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.state.BootException;
import dev.virtchain.app.state.BootState;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import dev.virtchain.xml.Consoles;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import dev.virtchain.xml.DomainRewrite;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Instant recovery (docs/DESIGN.md, "Restore, boot, verify"): a point in time of a backup directory
 * started as a transient domain through throwaway qcow2 overlays in a scratch directory. The
 * chain files are only ever read (qemu opens backing files read-only); everything the guest
 * writes, its UEFI variables and its console files land in the scratch directory, which
 * {@link #stop} deletes.
 */
public final class InstantBoot {
    /** The console file of an isolated boot, inside its scratch directory. */
    public static final String CONSOLE_LOG = "console.log";

    /**
     * What to boot and how.
     *
     * @param dir         the backup directory
     * @param at          the point in time
     * @param name        the domain name, or null for {@code <domain>-<suffix>-<seq>}
     * @param suffix      the word in the default name: boot, verify
     * @param scratchRoot the parent of the scratch directory
     * @param keepNetwork keep the network interfaces (they carry the original's MAC addresses)
     * @param isolated    also send the serial console to {@code console.log} in the scratch directory
     * @param checksums   also check every file of the point against the manifest's checksum (reads them whole)
     */
    public record Request(Path dir, PointInTime at, String name, String suffix, Path scratchRoot, boolean keepNetwork,
                          boolean isolated, boolean checksums) {
    }

    /**
     * A boot that started, with what the rewrite left out.
     *
     * @param notRecorded why the boot could not be recorded in the backup directory (a prune would not
     *                    know it reads the files), or null when it is
     */
    public record Booted(BootState state, RestorePoint point, List<String> leftOut, boolean interfacesRemoved,
                         String notRecorded) {
    }

    private InstantBoot() {
    }

    /**
     * A boot checked and named, not started yet: everything {@link #plan} can find wrong without
     * asking libvirt.
     */
    public record Plan(Request request, RestorePoint point, String name, Path dir, Path scratch) {
    }

    /**
     * Checks the chain links of the point in time and the structure of its files (and their
     * checksums when asked), names the domain and its scratch directory and
     * refuses a scratch directory inside the backup directory or one that exists already. Touches
     * nothing.
     */
    public static Plan plan(Request r) throws IOException, ChainException {
        Manifest m = ManifestFile.load(r.dir());
        RestorePoint point = RestorePoint.resolve(m, r.at());
        // Links and structure: qemu would read a truncated file's lost clusters as zeros and boot a damaged guest.
        ChainVerifier.verify(r.dir(), point, true);
        if (r.checksums()) {
            for (DiskChain c : point.disks()) {
                for (DiskBackup d : c.layers()) {
                    ChainVerifier.checksum(r.dir(), d);
                }
            }
        }
        int seq = point.backup().seq();
        String name = r.name() != null ? r.name() : m.domain().name() + "-" + r.suffix() + "-" + seq;
        if (!Naming.isPlainFileName(name) || name.startsWith(".")) {
            throw new BootException(ErrorKind.UNSUPPORTED, "domain name '" + name + "' cannot name a scratch directory");
        }
        Path dir = r.dir().toAbsolutePath().normalize();
        Path scratch = r.scratchRoot().toAbsolutePath().normalize().resolve(name);
        refuseInside(scratch, dir);
        if (Files.exists(scratch)) {
            throw alreadyBooted(scratch, name);
        }
        return new Plan(r, point, name, dir, scratch);
    }

    /**
     * Prepares the scratch directory and starts the transient domain. On any failure the scratch
     * directory is gone again and no domain runs.
     */
    public static Booted start(Hypervisor hv, Plan p) throws IOException {
        Files.createDirectories(p.scratch().getParent());
        try {
            Files.createDirectory(p.scratch());
        } catch (FileAlreadyExistsException e) {
            throw alreadyBooted(p.scratch(), p.name());
        }
        try {
            return prepareAndStart(hv, p.request(), p.point(), p.name(), p.dir(), p.scratch());
        } catch (IOException | RuntimeException e) {
            deleteTree(p.scratch());
            throw e;
        }
    }

    private static BootException alreadyBooted(Path scratch, String name) {
        return new BootException(ErrorKind.CONFLICT, scratch + " already exists: is " + name + " booted already? "
                + "(virtchain boot --stop " + name + ")");
    }

    private static Booted prepareAndStart(Hypervisor hv, Request r, RestorePoint point, String name, Path dir,
            Path scratch) throws IOException {
        int seq = point.backup().seq();
        String saved = Files.readString(dir.resolve(Naming.domainXml(seq)));
        Domain original = Domain.parse(saved);
        DomainRewrite xml = DomainRewrite.of(saved).name(name).uuid(UUID.randomUUID());

        Map<String, String> overlays = new LinkedHashMap<>();
        for (DiskChain c : point.disks()) {
            Path top = dir.resolve(c.top().file());
            Path overlay = scratch.resolve(c.target() + ".overlay.qcow2");
            // An absolute backing name: the overlay lives outside the backup directory.
            Qcow2Writer.create(overlay, CreateOptions.of(c.top().virtualSize()).withBacking(top.toString(), "qcow2"))
                    .close();
            xml.disk(c.target(), overlay.toString(), "qcow2");
            overlays.put(c.target(), overlay.toString());
        }
        Set<String> backedUp = point.disks().stream().map(DiskChain::target).collect(Collectors.toSet());
        List<String> leftOut = new ArrayList<>();
        for (DomainDisk d : original.disks()) {
            // A cdrom is read-only media, safe to share; any other disk would be written by both.
            if (d.targetDev() != null && !backedUp.contains(d.targetDev()) && !"cdrom".equals(d.device())) {
                xml.removeDisk(d.targetDev());
                leftOut.add(d.targetDev());
            }
        }
        BootFileCopies.plan(dir, seq, original.os(), scratch, name).copyInto(xml, false);
        if (!r.keepNetwork()) {
            xml.removeInterfaces();
        }
        xml.charDeviceFilesInto(scratch.toString());
        if (r.isolated()) {
            xml.serialToFile(scratch.resolve(CONSOLE_LOG).toString());
        }
        String domainXml = xml.toXml();
        DurableFiles.writeString(scratch.resolve("domain.xml"), domainXml);
        Consoles consoles = Consoles.of(domainXml);
        BootState state = new BootState(name, hv.uri(), dir.toString(), seq, scratch.toString(), overlays,
                consoles.pty(), consoles.files(), consoles.guestAgent());
        state.save();
        // Recorded before the domain starts, so a prune never misses it; a record whose domain does
        // not run (this start failed, or the process died here) is one a prune deletes.
        String notRecorded = null;
        try {
            state.record();
        } catch (IOException e) {
            notRecorded = dev.virtchain.qcow2.ImageException.reason(e);
        }
        try {
            hv.createTransient(domainXml);
        } catch (IOException | RuntimeException e) {
            try {
                state.forget();
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return new Booted(state, point, List.copyOf(leftOut), !r.keepNetwork(), notRecorded);
    }

    /**
     * Destroys the booted domain if it still runs and deletes its scratch directory. Returns
     * whether the domain was still running.
     */
    public static boolean stop(Hypervisor hv, BootState state) throws IOException {
        boolean running = false;
        try {
            if (hv.isActive(state.name())) {
                running = true;
                hv.destroy(state.name());
            }
        } catch (HypervisorException e) {
            if (!e.isNoDomain()) {
                throw e;
            }
            // A transient domain that powered off is gone already, and one just destroyed
            // vanishes under libvirt-java's feet, which then reports "no domain".
        }
        deleteTree(Path.of(state.scratch()));
        try {
            state.forget();
        } catch (IOException e) {
            // a backup directory this user cannot write: the next prune finds the domain gone and deletes it
        }
        return running;
    }

    /** The state of the boot called {@code name} under {@code scratchRoot}. */
    public static BootState find(Path scratchRoot, String name) throws IOException {
        if (!Naming.isPlainFileName(name)) {
            throw new BootException(ErrorKind.NOT_FOUND,
                    "'" + name + "' is not a domain name virtchain boot could have made");
        }
        return BootState.load(scratchRoot.toAbsolutePath().normalize().resolve(name));
    }

    /** The scratch directory must not be the backup directory or inside it, which must not change. */
    private static void refuseInside(Path scratch, Path dir) throws IOException {
        Path realDir = dir.toRealPath();
        Path existing = scratch;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        Path real = existing == null ? scratch : existing.toRealPath().resolve(existing.relativize(scratch));
        if (real.startsWith(realDir) || scratch.startsWith(dir)) {
            throw new BootException(ErrorKind.CONFLICT,
                    "scratch directory " + scratch + " is inside the backup directory " + dir
                    + ", which a boot never writes to; choose another --scratch");
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
