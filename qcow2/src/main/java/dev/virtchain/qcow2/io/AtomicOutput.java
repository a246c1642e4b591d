package dev.virtchain.qcow2.io;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A new file written under a temporary name beside its destination and made durable under the
 * destination's name only by {@link #commit} ({@link DurableFiles#publish}); closing without a
 * commit deletes the temporary file. The destination is never replaced: it must not exist.
 * Users never see the temporary name: an error met while writing is told about the destination
 * ({@link #about}).
 */
public final class AtomicOutput implements AutoCloseable {
    private final Path destination;
    private final Path temporary;
    private boolean committed;

    private AtomicOutput(Path destination, Path temporary) {
        this.destination = destination;
        this.temporary = temporary;
    }

    /** Reserves a temporary name for {@code destination}; the temporary file itself is not created. */
    public static AtomicOutput to(Path destination) throws IOException {
        if (Files.exists(destination, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException(ErrorKind.CONFLICT, destination.toString(), "already exists");
        }
        Path tmp;
        try {
            tmp = DurableFiles.createTemporaryBeside(destination);
        } catch (IOException e) {
            throw new ImageException(ErrorKind.of(e), destination.toString(), "cannot create: " + ImageException.reason(e),
                    e);
        }
        Files.delete(tmp); // writers create it exclusively
        return new AtomicOutput(destination, tmp);
    }

    public Path temporary() {
        return temporary;
    }

    /**
     * {@code e}, met while writing the temporary file or committing it, as an error about the
     * destination: see {@link ImageException#about}.
     */
    public IOException about(IOException e) {
        return ImageException.about(destination.toString(), temporary, e);
    }

    /** Makes the finished temporary file durable under the destination's name. */
    public void commit() throws IOException {
        DurableFiles.publish(temporary, destination, DurableFiles.IfExists.FAIL);
        committed = true;
    }

    @Override
    public void close() throws IOException {
        if (!committed) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                throw about(e);
            }
        }
    }
}
