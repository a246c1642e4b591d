package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;

/**
 * A backup that cannot be planned: the message says which rule stops it and what to run instead.
 * Its kind is CONFLICT (the directory's state refuses the request) unless given another.
 */
public class PlanException extends ChainException {
    private static final long serialVersionUID = 1L;

    public PlanException(String problem, String advice) {
        super(ErrorKind.CONFLICT, problem, advice);
    }

    public PlanException(ErrorKind kind, String problem, String advice) {
        super(kind, problem, advice);
    }
}
