package dev.virtchain.app.prune;

import dev.virtchain.app.boot.InstantBoot;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.state.BootState;
import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ReadersLock;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A prune's right to write into the chain files of a backup directory (docs/DESIGN.md, "Readers and
 * prune"): the readers lock held exclusively, taken only when no reader holds it (restore, verify,
 * a boot while it starts) and no boot recorded in {@code DIR/.boots} still runs. A boot's record
 * whose domain runs no more is deleted. Without waiting, a reader or a boot fails the prune at once
 * with one line naming it and what to do; waiting, one line says what the prune waits for, and it
 * tries again every {@link #POLL} until nothing is in the way. The caller holds the run lock.
 */
public final class PruneAccess implements AutoCloseable {
    /** How often a waiting prune looks again. */
    static final Duration POLL = Duration.ofMillis(250);

    private final ReadersLock lock;

    private PruneAccess(ReadersLock lock) {
        this.lock = lock;
    }

    /**
     * Takes it for {@code dir}; {@code hv} (null when there is none) answers for boots on its URI,
     * others are asked through their own.
     */
    public static PruneAccess take(Path dir, Hypervisor hv, boolean wait, PrintWriter err)
            throws IOException, ChainException, InterruptedException {
        String waitingFor = null;
        while (true) {
            String obstacle;
            String advice;
            String kind; // one waiting line per kind: which reader holds the lock may change while it waits
            Optional<ReadersLock> l = ReadersLock.tryExclusive(dir);
            if (l.isEmpty()) {
                List<ReadersLock.Holder> h = ReadersLock.holders(dir);
                String who = h.isEmpty() ? "another virtchain command" : h.get(0).toString();
                obstacle = who + " reads " + dir;
                advice = "wait for it to end, or use --wait";
                kind = "readers";
            } else {
                Optional<BootState> running;
                try {
                    running = runningBoot(dir, hv);
                } catch (IOException | ChainException | RuntimeException e) {
                    l.get().close();
                    throw e;
                }
                if (running.isEmpty()) {
                    return new PruneAccess(l.get());
                }
                l.get().close();
                BootState b = running.get();
                String stop = "virtchain boot --stop " + b.name()
                        + (Path.of(b.scratch()).getParent().equals(BootState.DEFAULT_SCRATCH) ? ""
                                : " --scratch " + Path.of(b.scratch()).getParent());
                obstacle = "boot " + b.name() + " of " + dir + " is running on " + b.uri();
                advice = "stop it with '" + stop + "' or use --wait";
                kind = "boot " + b.name();
            }
            if (!wait) {
                throw new ChainException(ErrorKind.CONFLICT, "cannot prune: " + obstacle, advice);
            }
            if (!kind.equals(waitingFor)) {
                err.println("virtchain: waiting to prune: " + obstacle);
                err.flush();
                waitingFor = kind;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /**
     * The first boot recorded in {@code dir} whose domain still runs; records of boots that ended
     * are deleted on the way. A boot whose libvirt cannot be asked counts as running.
     */
    private static Optional<BootState> runningBoot(Path dir, Hypervisor hv)
            throws IOException, ChainException {
        for (BootState b : BootState.recorded(dir)) {
            boolean runs;
            try {
                if (hv != null && hv.uri().equals(b.uri())) {
                    runs = active(hv, b);
                } else {
                    try (Hypervisor other = Hypervisor.connect(b.uri())) {
                        runs = active(other, b);
                    }
                }
            } catch (HypervisorException e) {
                throw new ChainException(ErrorKind.CONFLICT, "cannot prune: boot " + b.name() + " of " + dir
                        + " is recorded in " + b.recordFile() + ", and " + b.uri() + " cannot say whether it runs: "
                        + e.getMessage(), "stop it with 'virtchain boot --stop " + b.name()
                        + "', or delete the record if that domain is gone");
            }
            if (runs) {
                return Optional.of(b);
            }
            Files.deleteIfExists(b.recordFile());
        }
        return Optional.empty();
    }

    private static boolean active(Hypervisor hv, BootState b) throws HypervisorException {
        try {
            return hv.isActive(b.name());
        } catch (HypervisorException e) {
            if (e.isNoDomain()) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
