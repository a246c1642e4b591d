package dev.virtchain.app.config;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;

/** A config file that cannot be used: the message names the file, the line and the key. */
public final class ConfigException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    ConfigException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }
}
