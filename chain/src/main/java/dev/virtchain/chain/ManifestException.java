package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;

/**
 * A manifest that cannot be read or trusted: the message names the file, the field's path and
 * the bad value, e.g. {@code /backups/vm1/virtchain.json: backups[2].level: 'weekly' is not a
 * backup level (full, inc, diff or copy)}. CORRUPT unless given another kind.
 */
public class ManifestException extends ChainException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String file, String problem) {
        super(ErrorKind.CORRUPT, file + ": " + problem);
    }

    public ManifestException(String file, String problem, Throwable cause) {
        super(ErrorKind.CORRUPT, file + ": " + problem, null, cause);
    }

    public ManifestException(ErrorKind kind, String file, String problem, String advice) {
        super(kind, file + ": " + problem, advice);
    }

    public ManifestException(ErrorKind kind, String file, String problem, Throwable cause) {
        super(kind, file + ": " + problem, null, cause);
    }
}
