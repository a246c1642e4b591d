package dev.virtchain.qcow2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A new file written under a temporary name beside its destination and renamed into place
 * only by {@link #commit}; closing without a commit deletes the temporary file. The
 * destination is never replaced: it must not exist.
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
            throw new ImageException(destination.toString(), "already exists");
        }
        Path dir = destination.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + destination.getFileName() + ".", ".partial");
        Files.delete(tmp); // writers create it exclusively
        return new AtomicOutput(destination, tmp);
    }

    public Path temporary() {
        return temporary;
    }

    /** Renames the finished temporary file to the destination and makes the rename durable. */
    public void commit() throws IOException {
        if (Files.exists(destination, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(destination.toString(), null, "appeared while it was being written");
        }
        try (FileChannel f = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            f.force(true);
        }
        Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
        Path dir = destination.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory; the rename itself is done.
        }
    }

    @Override
    public void close() throws IOException {
        if (!committed) {
            Files.deleteIfExists(temporary);
        }
    }
}
