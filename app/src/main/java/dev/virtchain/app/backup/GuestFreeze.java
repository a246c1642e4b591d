package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.util.function.Consumer;

/**
 * The guest's filesystems frozen through its agent for the moment backup begin takes (docs/DESIGN.md,
 * "Guest consistency"), when asked and possible. Without an agent, or on a guest that cannot
 * freeze, the backup is crash-consistent, and a warning says so.
 */
final class GuestFreeze {
    private final Hypervisor hv;
    private final String domain;
    private final Consumer<String> warn;
    private final boolean frozen;

    private GuestFreeze(Hypervisor hv, String domain, Consumer<String> warn, boolean frozen) {
        this.hv = hv;
        this.domain = domain;
        this.warn = warn;
        this.frozen = frozen;
    }

    /** Freezes {@code domain}'s filesystems unless {@code mode} is off; {@link #thaw} ends it. */
    static GuestFreeze of(Hypervisor hv, String domain, BackupOptions.Freeze mode, Consumer<String> warn) {
        boolean frozen = false;
        if (mode != BackupOptions.Freeze.OFF) {
            try {
                frozen = hv.fsFreeze(domain);
                if (!frozen) {
                    warn.accept("no guest agent answered on " + domain + ": the backup is crash-consistent, not frozen");
                }
            } catch (HypervisorException e) {
                // A paused guest (--start-paused, or suspended) cannot freeze, and writes nothing either.
                warn.accept("could not freeze the filesystems of " + domain + " (" + e.getMessage()
                        + "): the backup is crash-consistent");
            }
        }
        return new GuestFreeze(hv, domain, warn, frozen);
    }

    /** Thaws what {@link #of} froze. */
    void thaw() throws HypervisorException {
        if (frozen && !hv.fsThaw(domain)) {
            warn.accept("could not thaw the filesystems of " + domain + " through its agent");
        }
    }
}
