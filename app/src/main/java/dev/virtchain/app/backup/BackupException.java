package dev.virtchain.app.backup;

import java.io.IOException;

/** A backup that cannot be made or finished; the message says what and what to do. */
public class BackupException extends IOException {
    private static final long serialVersionUID = 1L;

    public BackupException(String message) {
        super(message);
    }
}
