package dev.virtchain.qcow2;

import java.io.IOException;

/**
 * A disk image that cannot be read, written or trusted. The message is one line that names the
 * file, the field or step and the bad value, e.g.
 * {@code vda.0003.inc.qcow2: l1 table ends at 0x7f000000, past end of file (0x30000)}. The file
 * name is escaped here ({@link Names#escape}); a name the problem quotes from an image goes
 * through {@link Names#quote} where the problem is written.
 */
public class ImageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String problem;

    public ImageException(String file, String problem) {
        this(file, problem, null);
    }

    public ImageException(String file, String problem, Throwable cause) {
        super(Names.escape(file) + ": " + Names.oneLine(problem), cause);
        this.file = file;
        this.problem = problem;
    }

    /** The file the problem is about, as it was given (not escaped). */
    public String file() {
        return file;
    }

    /** The problem, without the file. */
    public String problem() {
        return problem;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
