package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;

/**
 * A backup set that cannot be planned, read, resolved or trusted. The message is one line that
 * names the rule, the file or the backup and the bad value, and ends with what to do about it
 * when there is something to do; {@link #advice()} gives that part alone, {@link #kind()} what
 * kind of failure it is.
 */
public class ChainException extends Exception implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final String advice;

    public ChainException(ErrorKind kind, String problem) {
        this(kind, problem, null, null);
    }

    public ChainException(ErrorKind kind, String problem, String advice) {
        this(kind, problem, advice, null);
    }

    public ChainException(ErrorKind kind, String problem, String advice, Throwable cause) {
        super(advice == null ? problem : problem + "; " + advice, cause);
        this.kind = kind;
        this.advice = advice;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }

    /** What the user can do about it, or null. */
    public String advice() {
        return advice;
    }
}
