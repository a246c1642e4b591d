package dev.virtchain.qcow2;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * A disk image that cannot be read, written or trusted. The message is one line that names the
 * file, the field or step and the bad value, e.g.
 * {@code vda.0003.inc.qcow2: l1 table ends at 0x7f000000, past end of file (0x30000)}. The file
 * name is escaped here ({@link Names#escape}); a name the problem quotes from an image goes
 * through {@link Names#quote} where the problem is written. Its {@link ErrorKind} is CORRUPT
 * unless the constructor is given another; the library names the kind at every site: NOT_FOUND
 * for a missing file (a backing or data file too), UNSUPPORTED for what virtchain does not read
 * or write (versions, features, protocols, names that do not fit), CONFLICT for an existing
 * output or a state that refuses the request, USAGE for arguments no image can take, IO for the
 * system's errors, CORRUPT for damaged images.
 */
public class ImageException extends IOException implements ErrorKind.Kinded {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final String file;
    private final String problem;

    public ImageException(String file, String problem) {
        this(ErrorKind.CORRUPT, file, problem, null);
    }

    public ImageException(String file, String problem, Throwable cause) {
        this(ErrorKind.CORRUPT, file, problem, cause);
    }

    public ImageException(ErrorKind kind, String file, String problem) {
        this(kind, file, problem, null);
    }

    public ImageException(ErrorKind kind, String file, String problem, Throwable cause) {
        super(Names.escape(file) + ": " + Names.oneLine(problem), cause);
        this.kind = kind;
        this.file = file;
        this.problem = problem;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }

    /** The file the problem is about, as it was given (not escaped). */
    public String file() {
        return file;
    }

    /** The problem, without the file. */
    public String problem() {
        return problem;
    }

    /**
     * {@code e} as the user should see it when it happened while writing {@code file} under the
     * name {@code temporary} (null when {@code file} is written in place): the user gave
     * {@code file} and never saw the temporary name. An ImageException about the temporary file,
     * a file system error on it and an I/O error that names no file at all (a full disk, a file
     * grown past its limit) become ImageExceptions about {@code file}; errors about other files
     * and interruptions stay as they are.
     */
    public static IOException about(String file, Path temporary, IOException e) {
        String tmp = temporary == null ? null : temporary.toString();
        if (e instanceof ImageException ie) {
            return ie.file() != null && ie.file().equals(tmp) ? new ImageException(ie.kind(), file, ie.problem(), e) : e;
        }
        if (e instanceof FileSystemException f) {
            boolean ours = tmp != null && (tmp.equals(f.getFile()) || tmp.equals(f.getOtherFile()));
            return ours ? new ImageException(ErrorKind.of(f), file, reason(f), e) : e;
        }
        if (e instanceof InterruptedIOException) {
            return e;
        }
        return new ImageException(ErrorKind.IO, file, reason(e), e);
    }

    /** What went wrong in {@code e}, without the file names a file system error's message repeats. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof ClosedByInterruptException) {
            return "interrupted";
        }
        if (e instanceof FileSystemException) {
            return "file system error";
        }
        return e.getMessage() != null ? e.getMessage() : "input/output error";
    }

    public static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
