package dev.virtchain.app.backup;

import dev.virtchain.qcow2.ErrorKind;

/**
 * A pre- or post-backup hook that failed: it exited nonzero, or did not finish in time and was
 * killed. The message names the hook and its command, then its exit code and the last line it
 * printed, e.g. {@code pre-hook 'systemctl start db-flush' exited 1: Unit not found}.
 */
public final class HookException extends BackupException {
    private static final long serialVersionUID = 1L;

    HookException(String message) {
        super(ErrorKind.IO, message);
    }
}
