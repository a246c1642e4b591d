package dev.virtchain.qcow2;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/**
 * What kind of failure an error is, across virtchain's modules: the CLI decides exit codes (and
 * any advice) by the kind, never by the message text. An exception the code does not expect has
 * no kind: it is a bug.
 */
public enum ErrorKind {
    /** The command line is wrong: an unknown option, a value an option cannot take. */
    USAGE,
    /** Something named does not exist: a file, a domain, a backup, a disk of a backup. */
    NOT_FOUND,
    /** It exists, but virtchain does not handle it: a format, a feature, a name it cannot use. */
    UNSUPPORTED,
    /** Data breaks its format's rules or does not match what was recorded of it. */
    CORRUPT,
    /** The system failed an operation: a read, a write, a libvirt call, a hook. */
    IO,
    /** The state refuses the request: it exists already, is in use, is not running, cannot go on. */
    CONFLICT;

    /** An exception that knows its kind. */
    public interface Kinded {
        ErrorKind kind();
    }

    /**
     * The kind of {@code e}: its own, or that of a file system error ({@code NoSuchFileException}
     * is NOT_FOUND, {@code FileAlreadyExistsException} CONFLICT, any other I/O error IO); null
     * for an exception nobody expected.
     */
    public static ErrorKind of(Throwable e) {
        if (e instanceof Kinded k) {
            return k.kind();
        }
        if (e instanceof NoSuchFileException) {
            return NOT_FOUND;
        }
        if (e instanceof FileAlreadyExistsException) {
            return CONFLICT;
        }
        if (e instanceof IOException) {
            return IO;
        }
        return null;
    }
}
