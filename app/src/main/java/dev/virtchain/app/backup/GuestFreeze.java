package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.xml.Consoles;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The guest's filesystems frozen through its agent for the moment backup begin takes (docs/DESIGN.md,
 * "How one push backup runs", step 7), when asked and possible. Without an agent, or on a guest
 * that cannot freeze, the backup is crash-consistent, and a warning says so. Before it freezes,
 * a {@link ThawWatchdog} is started that thaws the guest should this process die before
 * {@link #thaw}; without a watchdog there is no freeze.
 */
final class GuestFreeze {
    /**
     * Test hook, read only here: a file to create once the guest is frozen; the run then waits
     * while the file exists, so that a test can kill it, or break the job, at that instant.
     */
    static final String HOLD_ENV = "VIRTCHAIN_TEST_HOLD_FROZEN";
    /** How long a fresh connection may take to reach an agent whose channel libvirt says is connected. */
    private static final long AGENT_WAIT_MS = 5000;

    private final Hypervisor hv;
    private final String domain;
    private final Consumer<String> warn;
    private final ThawWatchdog watchdog;

    private GuestFreeze(Hypervisor hv, String domain, Consumer<String> warn, ThawWatchdog watchdog) {
        this.hv = hv;
        this.domain = domain;
        this.warn = warn;
        this.watchdog = watchdog;
    }

    /**
     * Freezes {@code domain}'s filesystems (those mounted at {@code mountpoints}, or all when it is
     * empty) unless {@code mode} is off; {@link #thaw} ends it. Whether an agent listens is read from
     * {@code domainXml}, the run's domain XML (read at its start: no second round trip).
     */
    static GuestFreeze of(Hypervisor hv, String domain, String domainXml, BackupOptions.Freeze mode,
            List<String> mountpoints, Consumer<String> warn) throws HypervisorException, InterruptedException {
        GuestFreeze none = new GuestFreeze(hv, domain, warn, null);
        if (mode == BackupOptions.Freeze.OFF) {
            return none;
        }
        String state;
        try {
            state = Consoles.guestAgentState(domainXml);
        } catch (LibvirtXmlException e) {
            throw new HypervisorException("domain " + domain + ": domain XML: " + e.getMessage());
        }
        if (state == null || state.equals("disconnected")) {
            warn.accept("no guest agent answered on " + domain + ": the backup is crash-consistent, not frozen"
                    + (state == null ? " (the domain has no guest agent channel)"
                            : " (no agent has opened its channel in the guest)"));
            return none;
        }
        ThawWatchdog watchdog;
        try {
            watchdog = ThawWatchdog.start(hv.uri(), domain, ThawWatchdog.DEADLINE);
        } catch (IOException e) {
            warn.accept("could not start the thaw watchdog (" + e.getMessage() + "), so the filesystems of " + domain
                    + " are not frozen: the backup is crash-consistent");
            return none;
        }
        boolean frozen = false;
        try {
            frozen = freeze(hv, domain, mountpoints, "connected".equals(state), warn);
        } finally {
            if (!frozen) {
                watchdog.disarm();
            }
        }
        if (!frozen) {
            return none;
        }
        holdForTests();
        return new GuestFreeze(hv, domain, warn, watchdog);
    }

    /**
     * Asks the agent to freeze. A connection that has just opened an embedded root may not have
     * reached an agent yet whose channel libvirt already reports connected: then it asks again for
     * a few seconds.
     */
    private static boolean freeze(Hypervisor hv, String domain, List<String> mountpoints, boolean connected,
            Consumer<String> warn) throws InterruptedException {
        long giveUp = System.nanoTime() + AGENT_WAIT_MS * 1_000_000L;
        try {
            while (true) {
                int frozen = hv.fsFreeze(domain, mountpoints);
                if (frozen == 0 && !mountpoints.isEmpty()) {
                    warn.accept("the guest agent of " + domain + " froze no filesystem: none of "
                            + String.join(",", mountpoints) + " is a mounted filesystem it can freeze;"
                            + " the backup is crash-consistent");
                } else if (frozen == 0) {
                    warn.accept("the guest agent of " + domain + " froze no filesystem: the guest has none mounted"
                            + " that it can freeze; the backup is crash-consistent");
                }
                if (frozen >= 0) {
                    return true; // the agent counts itself frozen, even with none frozen: thaw it
                }
                if (!connected || System.nanoTime() - giveUp > 0) {
                    warn.accept("no guest agent answered on " + domain
                            + ": the backup is crash-consistent, not frozen");
                    return false;
                }
                Thread.sleep(100);
            }
        } catch (HypervisorException e) {
            // A paused guest (--start-paused, or suspended) cannot freeze, and writes nothing either.
            warn.accept("could not freeze the filesystems of " + domain + " (" + e.getMessage()
                    + "): the backup is crash-consistent");
            return false;
        }
    }

    /** The test hook of {@link #HOLD_ENV}. */
    private static void holdForTests() throws InterruptedException {
        String hold = System.getenv(HOLD_ENV);
        if (hold == null || hold.isEmpty()) {
            return;
        }
        Path file = Path.of(hold);
        try {
            Files.writeString(file, "frozen\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            return;
        }
        long giveUp = System.nanoTime() + 600_000_000_000L;
        while (Files.exists(file) && System.nanoTime() - giveUp < 0) {
            Thread.sleep(50);
        }
    }

    /**
     * Thaws what {@link #of} froze and then disarms the watchdog. A thaw that fails leaves the guest
     * to the watchdog, which keeps trying once this process let go of libvirt.
     */
    void thaw() throws HypervisorException {
        if (watchdog == null) {
            return;
        }
        boolean thawed = false;
        try {
            thawed = hv.fsThaw(domain);
            if (!thawed) {
                warn.accept("could not thaw the filesystems of " + domain + " through its agent;"
                        + " the thaw watchdog keeps trying");
            }
        } finally {
            if (thawed) {
                if (watchdog.disarm()) {
                    warn.accept("the filesystems of " + domain + " stayed frozen for more than "
                            + ThawWatchdog.DEADLINE.toSeconds() + " s and the thaw watchdog thawed them before the"
                            + " backup job began: the backup may be only crash-consistent");
                }
            } else {
                watchdog.close();
            }
        }
    }
}
