package dev.virtchain.app.libvirt;

/**
 * A domain's state and the reason for it, as virDomainGetState reports them.
 *
 * @param state  virDomainState (1 running, 3 paused, 5 shut off, ...)
 * @param reason the reason of that state, e.g. virDomainPausedReason for a paused domain
 */
public record DomainState(int state, int reason) {
    // virDomainState and virDomainPausedReason values from libvirt-domain.h (a stable ABI).
    public static final int RUNNING = 1;
    public static final int PAUSED = 3;
    public static final int PAUSED_MIGRATION = 2;
    public static final int PAUSED_SAVE = 3;
    public static final int PAUSED_DUMP = 4;
    public static final int PAUSED_IOERROR = 5;
    public static final int PAUSED_POSTCOPY = 11;
    public static final int PAUSED_POSTCOPY_FAILED = 12;

    /** Paused because a disk's storage failed or ran full (with a disk error policy of stop). */
    public boolean pausedByIoError() {
        return state == PAUSED && reason == PAUSED_IOERROR;
    }

    /** Paused by a migration, save or core dump libvirt runs: a job that holds the domain. */
    public boolean pausedForAJob() {
        return state == PAUSED && (reason == PAUSED_MIGRATION || reason == PAUSED_SAVE || reason == PAUSED_DUMP
                || reason == PAUSED_POSTCOPY || reason == PAUSED_POSTCOPY_FAILED);
    }
}
