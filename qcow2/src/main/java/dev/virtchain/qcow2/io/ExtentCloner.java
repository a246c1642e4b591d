package dev.virtchain.qcow2.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes a range of the output share the extents of a range of one of the chain's files instead
 * of holding a copy. {@link FileClone} asks the kernel; tests put in fakes that copy or refuse.
 */
public interface ExtentCloner extends Closeable {
    /** Opens a cloner into {@code destination} from {@code sources}, the layers' data files by depth. */
    @FunctionalInterface
    interface Factory {
        ExtentCloner open(Path destination, List<Path> sources);
    }

    /**
     * Makes {@code length} bytes of the output at {@code destinationOffset} share the bytes of
     * source {@code source} at {@code sourceOffset}. Offsets and length are multiples of 4 KiB and
     * the source range lies within the source file.
     *
     * @return false when these files cannot share extents (another file system, no reflink, an
     *         unsupported block size); the range is then left as it was, or partly cloned
     * @throws IOException on a real failure (an I/O error, no space)
     */
    boolean clone(int source, long sourceOffset, long length, long destinationOffset) throws IOException;
}
