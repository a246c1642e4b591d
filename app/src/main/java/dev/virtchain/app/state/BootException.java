package dev.virtchain.app.state;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;

/**
 * An instant boot that cannot be planned, started or found again for {@code --stop}: the
 * message names the domain, the scratch directory or its state file, and what to do, e.g.
 * {@code /var/tmp/virtchain-boot/web01-boot-3 already exists: is web01-boot-3 booted already?
 * (virtchain boot --stop web01-boot-3)}.
 */
public final class BootException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public BootException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
