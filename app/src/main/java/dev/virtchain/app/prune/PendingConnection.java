package dev.virtchain.app.prune;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A libvirt connection opened in the background while a prune does its file work: loading
 * libvirt and connecting took 0.3 to 1 s of a prune's 2 to 4 s on the bench machine, and a prune
 * needs the connection only for a boot recorded in the directory, an interrupted prune's
 * checkpoint steps, and its own checkpoint deletions, which come last.
 */
public final class PendingConnection implements AutoCloseable {
    private final CompletableFuture<Hypervisor> connecting;
    private String unreachable;
    private boolean joined;
    private Hypervisor hv;

    private PendingConnection(CompletableFuture<Hypervisor> connecting) {
        this.connecting = connecting;
    }

    /** Starts connecting to {@code uri} in a daemon thread. */
    public static PendingConnection start(String uri) {
        CompletableFuture<Hypervisor> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(Hypervisor.connect(uri));
            } catch (HypervisorException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "libvirt-connect");
        t.setDaemon(true);
        t.start();
        return new PendingConnection(f);
    }

    /** A connection open already (or null: none). */
    public static PendingConnection of(Hypervisor hv) {
        return new PendingConnection(CompletableFuture.completedFuture(hv));
    }

    /** The connection, once open; null when libvirt cannot be reached ({@link #unreachable} says why). */
    public synchronized Hypervisor get() throws InterruptedException {
        if (!joined) {
            try {
                hv = connecting.get();
            } catch (ExecutionException e) {
                unreachable = e.getCause().getMessage();
            }
            joined = true;
        }
        return hv;
    }

    /** Why there is no connection, or null (also while it is not known yet). */
    public synchronized String unreachable() {
        return unreachable;
    }

    /**
     * A checkpoint cleaner for {@code domain} that waits for the connection on its first deletion;
     * without one it says why, and the deletions are left for the next backup or prune.
     */
    CheckpointCleaner cleaner(String domain, java.nio.file.Path dir) {
        return (checkpoint, inLibvirtDone) -> {
            Hypervisor h;
            try {
                h = get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CheckpointCleaner.Unreachable("interrupted while connecting to libvirt");
            }
            if (h == null) {
                throw new CheckpointCleaner.Unreachable(unreachable());
            }
            new LibvirtCheckpointCleaner(h, domain, dir).delete(checkpoint, inLibvirtDone);
        };
    }

    /** Closes the connection if one was opened, waiting for it. */
    @Override
    public void close() throws HypervisorException {
        Hypervisor h;
        try {
            h = get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (h != null) {
            h.close();
        }
    }
}
