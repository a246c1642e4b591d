package dev.virtchain.chain.prune;

import dev.virtchain.chain.ChainException;
import dev.virtchain.qcow2.ErrorKind;

/**
 * A retention policy that cannot be applied: no keep rule at all, a negative count, a negative
 * duration. It is a usage error (the command line asked for something that makes no sense), and a
 * CLI maps it to the usage exit code; the message names the option and the bad value.
 */
public class PolicyException extends ChainException {
    private static final long serialVersionUID = 1L;

    public PolicyException(String problem, String advice) {
        super(ErrorKind.USAGE, problem, advice);
    }
}
