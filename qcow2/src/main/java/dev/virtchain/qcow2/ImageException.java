package dev.virtchain.qcow2;

import java.io.IOException;

/**
 * A disk image that cannot be read, written or trusted. The message is one line that names the
 * file, the field or step and the bad value, e.g.
 * {@code vda.0003.inc.qcow2: l1 table ends at 0x7f000000, past end of file (0x30000)}.
 */
public class ImageException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageException(String file, String problem) {
        super(file + ": " + problem);
    }

    public ImageException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
