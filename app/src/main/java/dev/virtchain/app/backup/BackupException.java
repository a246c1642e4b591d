package dev.virtchain.app.backup;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;

/** A backup that cannot be made or finished; the message says what and what to do. */
public class BackupException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public BackupException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** As {@link #BackupException(ErrorKind, String)}, explaining {@code cause} (shown with --debug). */
    public BackupException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
