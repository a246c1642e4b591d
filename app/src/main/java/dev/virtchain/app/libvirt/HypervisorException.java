package dev.virtchain.app.libvirt;

import java.io.IOException;

/**
 * A libvirt call that failed. The message is one line naming the object and the step, then
 * libvirt's own words, e.g. {@code domain vm1: backup begin: Operation not supported: incremental
 * backup is not supported yet}.
 */
public class HypervisorException extends IOException {
    private static final long serialVersionUID = 1L;

    /** libvirt's error code (virErrorNumber) or -1 when the failure did not come from libvirt. */
    private final int code;

    public HypervisorException(String message, int code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public HypervisorException(String message) {
        this(message, -1, null);
    }

    /** libvirt's virErrorNumber, -1 if none. */
    public int code() {
        return code;
    }

    /** The domain the call named does not exist (VIR_ERR_NO_DOMAIN). */
    public boolean isNoDomain() {
        return code == NO_DOMAIN;
    }

    /** The checkpoint the call named does not exist (VIR_ERR_NO_DOMAIN_CHECKPOINT). */
    public boolean isNoCheckpoint() {
        return code == NO_DOMAIN_CHECKPOINT;
    }

    /**
     * No guest agent to talk to: no agent channel in the domain (libvirt reports
     * VIR_ERR_ARGUMENT_UNSUPPORTED), or one that does not answer (AGENT_UNRESPONSIVE, AGENT_UNSYNCED).
     */
    public boolean isAgentUnavailable() {
        return code == ARGUMENT_UNSUPPORTED || code == AGENT_UNRESPONSIVE || code == AGENT_UNSYNCED;
    }

    // virErrorNumber values from libvirt's virerror.h (a stable ABI).
    static final int NO_DOMAIN = 42;
    static final int ARGUMENT_UNSUPPORTED = 74;
    static final int AGENT_UNRESPONSIVE = 86;
    static final int AGENT_UNSYNCED = 97;
    static final int NO_DOMAIN_CHECKPOINT = 103;
}
