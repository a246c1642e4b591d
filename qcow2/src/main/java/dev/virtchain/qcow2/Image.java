package dev.virtchain.qcow2;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One layer of a disk image chain (a qcow2 or raw file) with its backing chain below it.
 * {@link #read} returns guest-visible content through the whole chain; {@link #status}
 * describes this layer alone, as qemu's format drivers do.
 */
public interface Image extends Closeable {

    /** The name this layer was opened by: as given by the user, or as its overlay links to it. */
    String filename();

    /** The file itself. */
    Path path();

    /** {@code qcow2} or {@code raw}. */
    String format();

    /** Guest-visible size in bytes. */
    long virtualSize();

    /** The layer below, or null at the bottom of the chain (or when opened without backing). */
    Image backing();

    /**
     * Fills {@code dst} (from its position to its limit) with guest content starting at
     * {@code offset}; bytes past the virtual size read as zero. Safe to call from several
     * threads at once (data is read with positional reads; table lookups are synchronized).
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * How this layer alone maps the guest range starting at {@code offset}: the returned
     * length is at least 1 and at most {@code length}; the range must lie within the virtual size.
     */
    LayerStatus status(long offset, long length) throws IOException;

    /** The name of the file that holds this layer's data clusters (an external data file, or the image). */
    default String dataFilename() {
        return filename();
    }

    /**
     * Asks that this layer's and its backing layers' data be read past the page cache (O_DIRECT)
     * from now on, where a file is mostly not cached and its file system takes O_DIRECT, for
     * reads of whole aligned blocks into aligned direct buffers; other reads are unchanged.
     * Meant for one long pass over a cold chain, such as a flatten's: the kernel's read-ahead
     * would also read the clusters next to each data run, which in a backup chain are mostly
     * clusters a higher layer hides (the bench chain read 2.9 GB buffered for 2.5 GB of data).
     * A file found mostly cached keeps the page cache, which serves it at memory speed.
     */
    default void preferDirectReads() {
    }

    /** Bytes the file takes on disk ({@code st_blocks * 512}), as qemu-img's actual-size. */
    long allocatedBytes();
}
