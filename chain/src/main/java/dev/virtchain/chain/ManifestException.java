package dev.virtchain.chain;

/**
 * A manifest that cannot be read or trusted: the message names the file, the field's path and
 * the bad value, e.g. {@code /backups/vm1/virtchain.json: backups[2].level: 'weekly' is not a
 * backup level (full, inc, diff or copy)}.
 */
public class ManifestException extends ChainException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String file, String problem) {
        super(file + ": " + problem);
    }

    public ManifestException(String file, String problem, String advice) {
        super(file + ": " + problem, advice);
    }

    public ManifestException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, null, cause);
    }
}
