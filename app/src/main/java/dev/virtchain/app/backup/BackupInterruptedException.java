package dev.virtchain.app.backup;

import dev.virtchain.qcow2.ErrorKind;

/**
 * A backup stopped by SIGTERM or Ctrl-C, after its job was aborted and its files and checkpoint
 * deleted. The JVM is shutting down by then and its shutdown hook waits: whoever reports this
 * exception calls {@link #reported()} once the message is out, and the process exits.
 */
public final class BackupInterruptedException extends BackupException {
    private static final long serialVersionUID = 1L;

    private final transient Runnable release;

    BackupInterruptedException(String message, Runnable release) {
        super(ErrorKind.IO, message);
        this.release = release;
    }

    /** The message has been shown: the process may exit now. */
    public void reported() {
        release.run();
    }
}
