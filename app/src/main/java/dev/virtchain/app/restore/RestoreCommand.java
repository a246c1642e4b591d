package dev.virtchain.app.restore;

import dev.virtchain.app.boot.BootFileCopies;
import dev.virtchain.app.cli.BackupDirectory;
import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.PointOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.app.cli.ReflinkOption;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.offsite.RemoteOptions;
import dev.virtchain.app.offsite.RemoteSet;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.qcow2.ops.Flattener;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.xml.Domain;
import dev.virtchain.xml.DomainDisk;
import dev.virtchain.xml.DomainRewrite;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "restore",
        mixinStandardHelpOptions = true,
        description = {"Restore a point in time of a backup directory into standalone images in OUTDIR.",
                "Per disk, the chain is read from the qcow2 headers of the chosen backup, checked against the",
                "manifest, and flattened natively into OUTDIR/<disk>.qcow2 (or .raw), sparse. A domain XML for",
                "the restored disks is written beside them with a new name and UUID (and the UEFI variables",
                "restored next to it); --define defines it. Existing files are never overwritten without --force.",
                "Before anything appears under OUTDIR's names, every file the restore reads is checked against",
                "the manifest's checksum (one sequential read of each, beside the flatten; --no-verify skips it),",
                "and data that a file maps past its end fails the restore: a damaged backup never restores.",
                "On the same XFS (reflink=1) or btrfs file system as DIR, the restored images",
                "share the backup's extents instead of copying them (--no-reflink copies).",
                "DIR may be s3://BUCKET/PREFIX, a set pushed with 'virtchain push': the chains are flattened straight",
                "from the bucket by ranged reads (the files are not copied first), and each file's checksum is checked",
                "against what the server computed of it when it was pushed (--endpoint, --profile: see push)."},
        footer = {"",
                "Examples:",
                "  virtchain restore /backup/web01 -o /var/lib/libvirt/images/web01-restored",
                "  virtchain restore /backup/web01 -o /srv/restore --at 3 --disk vda -O raw",
                "  virtchain restore /backup/web01 -o /srv/old --at 2026-11-20T23:00:00Z --define --name web01-old",
                "  virtchain restore s3://backups/web01 -o /srv/restore --endpoint http://rgw.example:7480"})
public final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BackupDirectory dir;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUTDIR", description = "Where the restored images go.")
    Path out;

    @Mixin
    PointOption at = PointOption.latestByDefault();

    @Option(names = "--disk", split = ",", paramLabel = "DISK", description = "Restore only these disks.")
    List<String> disks = new ArrayList<>();

    @Option(names = "-O", paramLabel = "FMT", defaultValue = "qcow2", description = "qcow2 (default) or raw.")
    String format;

    @Option(names = "--define", description = "Define the restored domain in libvirt (at -c's URI).")
    boolean define;

    @Option(names = "--name", paramLabel = "NAME", description = "Name of the restored domain (default: <name>-restored-<seq>).")
    String name;

    @Mixin
    ConnectOption connect;

    @Option(names = "--force", description = "Replace restored files that already exist in OUTDIR.")
    boolean force;

    @Option(names = "--no-verify", description = "Skip the check of every file read against the manifest's checksum.")
    boolean noVerify;

    @Mixin
    ProgressOptions progress;

    @Mixin
    ReflinkOption reflink;

    @Mixin
    RemoteOptions remoteOptions;

    /** The remote set read instead of a directory, and the directory its side files were fetched into. */
    private RemoteSet remote;
    private Path staged;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("qcow2") && !format.equals("raw")) {
            throw new ParameterException(spec.commandLine(), "-O " + format + ": expected qcow2 or raw");
        }
        if (dir.remote().isPresent()) {
            try (RemoteSet set = RemoteSet.open(dir.remote().get(), remoteOptions)) {
                remote = set;
                staged = Files.createTempDirectory("virtchain-remote-");
                set.fetchSideFiles(staged);
                return restore();
            } finally {
                if (staged != null) {
                    RemoteSet.deleteTree(staged);
                }
            }
        }
        // Held until the restore ends: no prune writes into the files it reads.
        try (ReadersLock reading = InterruptedPrune.readLocked(dir(), spec.commandLine().getErr())) {
            return restore();
        }
    }

    private int restore() throws Exception {
        Manifest m = ManifestFile.load(dir());
        RestorePoint point = RestorePoint.resolve(m, at.point());
        refuseBackupDirectory();
        List<DiskChain> chains = chosen(point);
        if (define && chains.size() != point.disks().size()) {
            throw new ParameterException(spec.commandLine(), "--define restores a whole domain: leave out --disk");
        }
        if (remote != null) {
            remote.verifyLinks(point);
        } else {
            ChainVerifier.verify(dir(), point);
        }
        Files.createDirectories(out);
        int seq = point.backup().seq();
        String newName = name != null ? name : m.domain().name() + "-restored-" + seq;
        Path xmlFile = out.resolve(newName + ".xml");
        checkFree(xmlFile);

        PrintWriter o = spec.commandLine().getOut();
        // A definition is what a define expects: the inactive one kept with the backup, or else
        // (a transient domain, a backup from before it was kept) the live XML without its runtime state.
        Path inactive = dir().resolve(Naming.inactiveDomainXml(seq));
        String saved = Files.readString(Files.isRegularFile(inactive) ? inactive : dir().resolve(Naming.domainXml(seq)));
        // The restored domain never shares a disk or a console file with the original.
        DomainRewrite xml = DomainRewrite.of(saved).withoutRuntimeState().name(newName).uuid(UUID.randomUUID())
                .charDeviceFilesInto(out.toAbsolutePath().toString());
        Domain original = Domain.parse(saved);
        Set<String> restoredDisks = new HashSet<>();
        chains.forEach(c -> restoredDisks.add(c.target()));
        Set<String> defined = new HashSet<>();
        for (DomainDisk d : original.disks()) {
            defined.add(d.targetDev());
            if (d.device().equals("disk") && !restoredDisks.contains(d.targetDev())) {
                xml.removeDisk(d.targetDev());
                o.println("left out " + d.targetDev() + ": not restored");
            }
        }
        // The boot files kept with the backup go beside the restored disks. Names in the way
        // fail the restore before its long part.
        BootFileCopies bootFiles = BootFileCopies.plan(dir(), seq, original.os(), out, newName);
        for (Path copy : bootFiles.targets().values()) {
            checkFree(copy);
        }
        for (DiskChain c : chains) {
            checkFree(restoredFile(c));
        }
        restoreDisks(chains, o);
        for (DiskChain c : chains) {
            Path target = restoredFile(c);
            o.println("restored " + c.target() + " from " + String.join(" <- ", c.files()) + " into " + target);
            if (defined.contains(c.target())) {
                xml.disk(c.target(), target.toString(), format);
            } else {
                spec.commandLine().getErr().println("virtchain: warning: " + c.target() + " was attached to the "
                        + "running domain only, not to its definition: the domain XML leaves it out; attach it "
                        + "with virsh attach-disk " + newName + " " + target.toAbsolutePath() + " " + c.target()
                        + " --subdriver " + format + " --config");
            }
        }
        bootFiles.copyInto(xml, force);
        bootFiles.targets().forEach((kind, copy) -> o.println("restored " + kind.file(seq) + " into " + copy));
        String domainXml = xml.toXml();
        DurableFiles.writeString(xmlFile, domainXml);
        o.println("domain XML: " + xmlFile.toAbsolutePath());
        if (define) {
            try (Hypervisor hv = Hypervisor.connect(connect.uri())) {
                o.println("defined domain " + hv.define(domainXml) + " on " + connect.uri());
            }
        } else if (chains.size() == point.disks().size()) {
            // Where the domain was backed up from, unless -c says otherwise: the lab's embedded root, say.
            String uri = connect.given().orElse(m.domain().uri());
            o.println("to define it: virsh " + (uri == null || uri.equals(ConnectOption.DEFAULT_URI) ? ""
                    : "-c '" + uri.replace("'", "'\\''") + "' ") + "define " + xmlFile.toAbsolutePath());
        }
        o.flush();
        return 0;
    }

    private List<DiskChain> chosen(RestorePoint point) throws Exception {
        if (disks.isEmpty()) {
            return point.disks();
        }
        List<DiskChain> chosen = new ArrayList<>();
        for (String d : disks) {
            chosen.add(point.disk(d));
        }
        return chosen;
    }

    private Path dir() {
        return staged != null ? staged : dir.dir();
    }

    /** A restore never writes into a backup directory, which would then hold files no manifest names. */
    private void refuseBackupDirectory() throws IOException {
        if (Files.exists(out.resolve(Naming.MANIFEST))
                || (Files.exists(out) && Files.isSameFile(out.toAbsolutePath(), dir().toAbsolutePath()))) {
            throw new ParameterException(spec.commandLine(), "-o " + out + " is a backup directory; restore elsewhere");
        }
    }

    private void checkFree(Path file) throws IOException {
        if (Files.exists(file) && !force) {
            throw new FileAlreadyExistsException(file.toString(), null, "already exists (use --force to replace it)");
        }
    }

    /** Where disk {@code c} is restored: {@code OUTDIR/<disk>.<format>}. */
    private Path restoredFile(DiskChain c) {
        return out.resolve(c.target() + "." + format).toAbsolutePath();
    }

    /**
     * Flattens every chain under a temporary name while every file the chains read is checked
     * against the manifest's checksum ({@link ChecksumPass}, beside the flatten), and makes the
     * results durable under their targets' names (replacing them only with --force) once all are
     * done and every checksum matched: a damaged file fails the restore and leaves nothing under the
     * output names, its temporary output deleted. Data a layer maps past its end fails the flatten
     * ({@link PastEnd#FAIL}), with or without the check.
     */
    private void restoreDisks(List<DiskChain> chains, PrintWriter o) throws IOException, ChainException {
        ChecksumPass check = null;
        if (!noVerify && remote != null) {
            remote.checkStored(distinctLayers(chains));
        } else if (!noVerify) {
            check = ChecksumPass.start(dir(), distinctLayers(chains));
        }
        Map<Path, Path> done = new LinkedHashMap<>();
        try {
            try {
                for (DiskChain c : chains) {
                    Path target = restoredFile(c);
                    Path tmp = target.resolveSibling("." + target.getFileName() + ".restoring");
                    Files.deleteIfExists(tmp);
                    done.put(tmp, target);
                    flatten(c, tmp, target, o);
                }
            } catch (IOException | RuntimeException e) {
                if (check != null) {
                    check.explain(e); // a damaged file: its checksum says so more plainly
                }
                throw e;
            }
            if (check != null) {
                check.await();
            }
            for (Map.Entry<Path, Path> e : done.entrySet()) {
                moveIntoPlace(e.getKey(), e.getValue());
            }
        } finally {
            for (Path tmp : done.keySet()) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Flattens chain {@code c} into {@code tmp}; errors name {@code target}, which the user knows. */
    private void flatten(DiskChain c, Path tmp, Path target, PrintWriter o) throws IOException {
        try (Image top = remote != null ? remote.openChain(c.top().file(), PastEnd.FAIL)
                : Images.open(dir().resolve(c.top().file()).toString(), "qcow2", true, PastEnd.FAIL)) {
            Flattener.flatten(top, tmp, Flattener.Options.qcow2().withFormat(format)
                            .withReflink(remote == null && reflink.enabled()),
                    progress.meterOnTerminal(o));
            progress.finish(o);
        } catch (IOException e) {
            throw ImageException.about(target.toString(), tmp, e);
        }
    }

    private void moveIntoPlace(Path tmp, Path target) throws IOException {
        DurableFiles.publish(tmp, target, force ? DurableFiles.IfExists.REPLACE : DurableFiles.IfExists.FAIL);
    }

    /** Each file the chains read, once (disks never share files, but say so in code rather than assume). */
    private static List<DiskBackup> distinctLayers(List<DiskChain> chains) {
        Map<String, DiskBackup> files = new LinkedHashMap<>();
        for (DiskChain c : chains) {
            c.layers().forEach(d -> files.putIfAbsent(d.file(), d));
        }
        return List.copyOf(files.values());
    }
}
