package dev.virtchain.chain;

/**
 * A backup set that cannot be planned, read, resolved or trusted. The message is one line that
 * names the rule, the file or the backup and the bad value, and ends with what to do about it
 * when there is something to do; {@link #advice()} gives that part alone.
 */
public class ChainException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String advice;

    public ChainException(String problem) {
        this(problem, null, null);
    }

    public ChainException(String problem, String advice) {
        this(problem, advice, null);
    }

    public ChainException(String problem, String advice, Throwable cause) {
        super(advice == null ? problem : problem + "; " + advice, cause);
        this.advice = advice;
    }

    /** What the user can do about it, or null. */
    public String advice() {
        return advice;
    }
}
