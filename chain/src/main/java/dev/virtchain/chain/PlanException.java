package dev.virtchain.chain;

/** A backup that cannot be planned: the message says which rule stops it and what to run instead. */
public class PlanException extends ChainException {
    private static final long serialVersionUID = 1L;

    public PlanException(String problem, String advice) {
        super(problem, advice);
    }
}
