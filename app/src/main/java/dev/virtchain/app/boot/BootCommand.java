package dev.virtchain.app.boot;

import dev.virtchain.app.cli.BackupDirectory;
import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.PointOption;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.app.state.BootState;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.PointInTime;
import dev.virtchain.chain.ReadersLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "boot",
        mixinStandardHelpOptions = true,
        description = {"Instant recovery: start a point in time of a backup directory as a transient domain, at once,",
                "without restoring it. The chain links and each file's structure (its metadata: tables, refcounts,",
                "no data past the end of the file) are checked first, and with --verify each file's checksum too;",
                "each disk then gets a throwaway qcow2 overlay on top of its chain in a scratch directory",
                "(SCRATCH/NAME), and the domain runs from the saved domain XML with a new name and UUID, the",
                "disks on the overlays, the UEFI variables copied,",
                "file consoles and logs moved into the scratch directory, disks the backup does not hold left",
                "out, and no network interfaces (unless --keep-network). Nothing in DIR changes.",
                "--stop NAME destroys the domain and deletes its scratch directory with all the guest wrote."},
        footer = {"",
                "Examples:",
                "  virtchain boot /backup/web01                     # the latest point, as web01-boot-<seq>",
                "  virtchain boot /backup/web01 --at 3 --name web01-old --keep-network",
                "  virtchain boot /backup/web01 --verify             # checksums of every file first",
                "  virtchain boot --stop web01-boot-3"})
public final class BootCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    // Optional, unlike the BackupDirectory of the other commands: --stop takes none.
    @Parameters(paramLabel = "DIR", arity = "0..1", description = BackupDirectory.DESCRIPTION)
    Path dir;

    @Mixin
    PointOption at = PointOption.latestByDefault();

    @Option(names = "--name", paramLabel = "NAME", description = "Name of the booted domain (default: <name>-boot-<seq>).")
    String name;

    @Mixin
    ConnectOption connect;

    @Option(names = "--scratch", paramLabel = "DIR", defaultValue = "/var/tmp/virtchain-boot",
            description = "Where the scratch directory NAME/ goes, never inside the backup directory "
                    + "(default: ${DEFAULT-VALUE}).")
    Path scratch;

    @Option(names = "--keep-network", description = "Keep the network interfaces (and the original's MAC addresses).")
    boolean keepNetwork;

    @Option(names = "--stop", paramLabel = "NAME", description = "Destroy a booted domain and delete its scratch directory "
            + "(on the libvirt URI it was booted on, unless -c is given).")
    String stop;

    @Option(names = "--verify", description = "Also check every file of the point against the manifest's checksum "
            + "before booting (reads each file once; the structure of each file is always checked).")
    boolean verify;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        if ((stop == null) == (dir == null)) {
            throw new ParameterException(spec.commandLine(), "give a backup directory to boot, or --stop NAME");
        }
        return stop != null ? stop() : boot();
    }

    private int boot() throws Exception {
        PointInTime point = at.point(); // a bad --at is a usage error, before anything is read
        InstantBoot.Booted b;
        // Held while the boot is checked and started; then the boot's record in DIR/.boots keeps a prune
        // out for as long as its domain runs (docs/DESIGN.md, "Readers and prune").
        try (ReadersLock reading = InterruptedPrune.readLocked(dir, spec.commandLine().getErr())) {
            InstantBoot.Plan plan = InstantBoot.plan(
                    new InstantBoot.Request(dir, point, name, "boot", scratch, keepNetwork, false, verify));
            try (Hypervisor hv = Hypervisor.connect(connect.uri())) {
                b = InstantBoot.start(hv, plan);
            }
        }
        if (b.notRecorded() != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("virtchain: warning: cannot record the boot in " + dir.resolve(Naming.BOOTS_DIR)
                    + " (" + b.notRecorded() + "): a prune of " + dir + " will not know that " + b.state().name()
                    + " reads its files");
            err.flush();
        }
        BootState s = b.state();
        PrintWriter out = spec.commandLine().getOut();
        if (json.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("uri", s.uri());
            m.put("seq", s.seq());
            m.put("scratch", s.scratch());
            m.put("overlays", s.overlays());
            m.put("left-out", b.leftOut());
            m.put("interfaces-removed", b.interfacesRemoved());
            m.put("console-files", s.consoleFiles());
            m.put("pty-console", s.pty());
            out.println(Json.pretty(m));
        } else {
            out.printf("booted %s from backup %d (%s, %s) of %s on %s%n", s.name(), s.seq(),
                    b.point().backup().level().word(), b.point().backup().time(), dir, s.uri());
            for (DiskChain c : b.point().disks()) {
                out.printf("  %s: %s -> %s%n", c.target(), s.overlays().get(c.target()), Path.of(s.dir()).resolve(c.top().file()));
            }
            if (!b.leftOut().isEmpty()) {
                out.println("  left out (not in the backup): " + String.join(", ", b.leftOut()));
            }
            if (b.interfacesRemoved()) {
                out.println("  no network interfaces (--keep-network keeps them)");
            }
            if (s.pty()) {
                out.println("console: virsh -c " + s.uri() + " console " + s.name());
            }
            for (String f : s.consoleFiles()) {
                out.println("console log: " + f);
            }
            out.println("stop it: virtchain boot --stop " + s.name() + scratchOption()
                    + " (deletes " + s.scratch() + " and all the guest wrote)");
        }
        out.flush();
        return 0;
    }

    private int stop() throws Exception {
        BootState s = InstantBoot.find(scratch, stop);
        boolean running;
        try (Hypervisor hv = Hypervisor.connect(connect.given().orElse(s.uri()))) {
            running = InstantBoot.stop(hv, s);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println((running ? "destroyed " + s.name() : s.name() + " was not running")
                + "; deleted " + s.scratch());
        out.flush();
        return 0;
    }

    private String scratchOption() {
        return scratch.equals(BootState.DEFAULT_SCRATCH) ? "" : " --scratch " + scratch;
    }
}
