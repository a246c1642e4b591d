package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;

/** A failure talking to object storage, or a remote set that is not as it should be; one line, no secrets. */
public class OffsiteException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public OffsiteException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public OffsiteException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
