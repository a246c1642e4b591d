package dev.virtchain.app.libvirt;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;

/**
 * A libvirt call that failed. The message is one line naming the object and the step, then
 * libvirt's own words, e.g. {@code domain vm1: backup begin: Operation not supported: incremental
 * backup is not supported yet}. Its kind follows libvirt's error code ({@link #kindOf}).
 */
public class HypervisorException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    /** libvirt's error code (virErrorNumber) or -1 when the failure did not come from libvirt. */
    private final int code;
    private final ErrorKind kind;

    /** libvirt's virErrorDomain (where the error came from: 10 the qemu driver, ...), 0 when unknown. */
    private final int origin;

    public HypervisorException(String message, int code, Throwable cause) {
        this(message, code, 0, cause);
    }

    /** A libvirt failure with its error code and error domain ({@code origin}). */
    public HypervisorException(String message, int code, int origin, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.origin = origin;
        this.kind = kindOf(code);
    }

    public HypervisorException(String message) {
        this(message, -1, null);
    }

    /** A failure that did not come from libvirt, of the given kind. */
    public HypervisorException(ErrorKind kind, String message) {
        super(message);
        this.code = -1;
        this.origin = 0;
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }

    /** The kind of a libvirt error code: a missing object, an unsupported call, a state that refuses; else I/O. */
    static ErrorKind kindOf(int code) {
        return switch (code) {
            case NO_DOMAIN, NO_NETWORK, NO_STORAGE_VOL, NO_DOMAIN_SNAPSHOT, NO_DOMAIN_CHECKPOINT -> ErrorKind.NOT_FOUND;
            case NO_SUPPORT, ARGUMENT_UNSUPPORTED, OPERATION_UNSUPPORTED -> ErrorKind.UNSUPPORTED;
            case DOM_EXIST, OPERATION_INVALID -> ErrorKind.CONFLICT;
            case CHECKPOINT_INCONSISTENT -> ErrorKind.CORRUPT;
            default -> ErrorKind.IO;
        };
    }

    /** libvirt's virErrorNumber, -1 if none. */
    public int code() {
        return code;
    }

    /** libvirt's virErrorDomain, the part of libvirt the error came from (10: the qemu driver); 0 if unknown. */
    public int origin() {
        return origin;
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

    /**
     * A checkpoint libvirt lists has a bitmap missing or broken on a disk
     * (VIR_ERR_CHECKPOINT_INCONSISTENT). libvirt 9.0 with qemu 7.2 refuses a backup incremental since
     * such a checkpoint with "checkpoint inconsistent: missing or broken bitmap 'NAME' for disk 'vda'",
     * whether the bitmap was removed from the image or left inconsistent by a qemu that was killed.
     */
    public boolean isCheckpointInconsistent() {
        return code == CHECKPOINT_INCONSISTENT;
    }

    // virErrorNumber values from libvirt's virerror.h (a stable ABI).
    public static final int INTERNAL_ERROR = 1;
    public static final int NO_SUPPORT = 3;
    public static final int INVALID_ARG = 8;
    public static final int OPERATION_TIMEOUT = 68;
    static final int DOM_EXIST = 28;
    static final int NO_DOMAIN = 42;
    static final int NO_NETWORK = 43;
    static final int NO_STORAGE_VOL = 50;
    public static final int OPERATION_INVALID = 55;
    static final int NO_DOMAIN_SNAPSHOT = 72;
    static final int ARGUMENT_UNSUPPORTED = 74;
    static final int OPERATION_UNSUPPORTED = 84;
    static final int AGENT_UNRESPONSIVE = 86;
    static final int AGENT_UNSYNCED = 97;
    static final int NO_DOMAIN_CHECKPOINT = 103;
    public static final int CHECKPOINT_INCONSISTENT = 109;
    // virErrorDomain values
    /** VIR_FROM_QEMU: the qemu driver, with what qemu itself said. */
    public static final int FROM_QEMU = 10;
}
