package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Positional, bounds-checked reads of one file. Every read states what it reads, so a read
 * outside the file fails with a message naming the structure instead of returning garbage.
 */
final class ImageFile implements AutoCloseable {
    private final String name;
    private final Path path;
    private final FileChannel channel;
    private final long size;

    private ImageFile(String name, Path path, FileChannel channel, long size) {
        this.name = name;
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    static ImageFile open(String name, Path path) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ImageException(name, "no such file");
        } catch (AccessDeniedException e) {
            throw new ImageException(name, "permission denied");
        } catch (IOException e) {
            throw new ImageException(name, "cannot open: " + e.getMessage(), e);
        }
        try {
            return new ImageFile(name, path, ch, ch.size());
        } catch (IOException e) {
            ch.close();
            throw new ImageException(name, "cannot read its size: " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    FileChannel channel() {
        return channel;
    }

    /** Reads exactly {@code length} bytes of {@code what} at {@code offset}; all of it must lie in the file. */
    ByteBuffer read(String what, long offset, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        readFully(what, offset, buf);
        return buf.flip();
    }

    /** Fills {@code dst} with the bytes at {@code offset}; all of them must lie in the file. */
    void readFully(String what, long offset, ByteBuffer dst) throws IOException {
        long end = offset + dst.remaining();
        if (offset < 0 || end < offset || end > size) {
            throw new ImageException(name, what + " at " + hex(offset) + " (" + dst.remaining()
                    + " bytes) lies past end of file (" + hex(size) + ")");
        }
        readAt(offset, dst);
    }

    /** Fills {@code dst} from {@code offset}; bytes past the end of the file read as zero, as in qemu. */
    void readZeroPadded(long offset, ByteBuffer dst) throws IOException {
        if (offset < size) {
            int n = (int) Math.min(dst.remaining(), size - offset);
            ByteBuffer head = dst.slice(dst.position(), n);
            readAt(offset, head);
            dst.position(dst.position() + n);
        }
        Zeros.fill(dst);
    }

    private void readAt(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new ImageException(name, "file shrank while reading at " + hex(pos));
            }
            pos += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
