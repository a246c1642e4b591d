package dev.virtchain.qcow2.io;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Positional, bounds-checked reads of one file. Every read states what it reads, so a read
 * outside the file fails with a message naming the structure instead of returning garbage.
 */
public final class ImageFile implements AutoCloseable {
    private final String name;
    private final Path path;
    private final FileChannel channel;
    private final long size;
    /** The O_DIRECT handle for bulk data reads, once {@link #preferDirectReads} opened one; else null. */
    private volatile DirectData.Reader direct;
    private boolean directDecided;

    private ImageFile(String name, Path path, FileChannel channel, long size) {
        this.name = name;
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** st_mode's file type bits and the block device type, to let raw disks through and keep FIFOs out. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    /** Opens the file {@code name} names; a name that is no path (a NUL byte, say) fails as any bad name does. */
    public static ImageFile open(String name) throws IOException {
        Path path;
        try {
            path = Path.of(name);
        } catch (InvalidPathException e) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "is not a valid file name (" + e.getReason() + ")");
        }
        return open(name, path);
    }

    public static ImageFile open(String name, Path path) throws IOException {
        checkType(name, path);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw cannotOpen(name, e);
        }
        try {
            return new ImageFile(name, path, ch, ch.size());
        } catch (IOException e) {
            ch.close();
            throw new ImageException(ErrorKind.IO, name, "cannot read its size: " + ImageException.reason(e), e);
        }
    }

    /**
     * An image file read through {@code channel}, which is not a local file (an object in a bucket
     * read by ranges, say): it has no path, so nothing is cloned from it, nothing read past the page
     * cache, and its allocated bytes are its size. The channel is closed with this.
     */
    public static ImageFile over(String name, FileChannel channel) throws IOException {
        return new ImageFile(name, null, channel, channel.size());
    }

    /** Why the file {@code name} cannot be opened (or looked at), in the user's words. */
    private static ImageException cannotOpen(String name, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new ImageException(ErrorKind.NOT_FOUND, name, "no such file");
        }
        if (e instanceof AccessDeniedException) {
            return new ImageException(ErrorKind.IO, name, "permission denied");
        }
        return new ImageException(ErrorKind.of(e), name, "cannot open: " + ImageException.reason(e), e);
    }

    /**
     * Refuses what is neither a regular file nor a block device before opening it: opening a
     * FIFO a hostile backing name points at would block forever, and a directory reads as nothing.
     */
    private static void checkType(String name, Path path) throws ImageException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            throw cannotOpen(name, e);
        }
        if (a.isDirectory()) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "is a directory, not an image file");
        }
        if (a.isOther() && !isBlockDevice(path)) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "is not a regular file or block device");
        }
    }

    private static boolean isBlockDevice(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode"); // follows links, as opening does
            return mode instanceof Integer m && (m & S_IFMT) == S_IFBLK;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    public String name() {
        return name;
    }

    /** The file's path; null for an image file read {@link #over} a channel. */
    public Path path() {
        return path;
    }

    public long size() {
        return size;
    }

    /** Bytes the file takes on disk; see {@link Image#allocatedBytes}. */
    public long allocatedBytes() {
        return path == null ? size : NativeFiles.allocatedBytes(path);
    }

    FileChannel channel() {
        return channel;
    }

    /** Reads exactly {@code length} bytes of {@code what} at {@code offset}; all of it must lie in the file. */
    public ByteBuffer read(String what, long offset, int length) throws IOException {
        checkBounds(what, offset, length); // before allocating: length may come from the file
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        readAt(offset, buf);
        return buf.flip();
    }

    /** Fills {@code dst} with the bytes at {@code offset}; all of them must lie in the file. */
    public void readFully(String what, long offset, ByteBuffer dst) throws IOException {
        checkBounds(what, offset, dst.remaining());
        readAt(offset, dst);
    }

    private void checkBounds(String what, long offset, long length) throws ImageException {
        if (length < 0) {
            throw new ImageException(ErrorKind.CORRUPT, name, what + " at " + hex(offset) + " has a negative length ("
                    + length + ")");
        }
        if (offset < 0 || offset > size || length > size - offset) {
            throw new ImageException(ErrorKind.CORRUPT, name, what + " at " + hex(offset) + " (" + length
                    + " bytes) lies past end of file (" + hex(size) + ")");
        }
    }

    /** Fills {@code dst} from {@code offset}; bytes past the end of the file read as zero, as in qemu. */
    public void readZeroPadded(long offset, ByteBuffer dst) throws IOException {
        if (offset < 0) {
            throw new ImageException(ErrorKind.CORRUPT, name, "read at negative offset " + offset);
        }
        if (offset < size) {
            int n = (int) Math.min(dst.remaining(), size - offset);
            ByteBuffer head = dst.slice(dst.position(), n);
            readAt(offset, head);
            dst.position(dst.position() + n);
        }
        Zeros.fill(dst);
    }

    /**
     * Reads whole aligned blocks into aligned direct buffers past the page cache from now on, if
     * the file is mostly not cached and its file system takes O_DIRECT (see
     * {@link Image#preferDirectReads}). Decided once per file.
     */
    public synchronized void preferDirectReads() {
        if (!directDecided) {
            directDecided = true;
            if (path == null) {
                return;
            }
            direct = DirectData.Reader.openIfCold(path, channel, size);
        }
    }

    private void readAt(long offset, ByteBuffer dst) throws IOException {
        DirectData.Reader d = direct;
        int start = dst.position();
        boolean full;
        try {
            // Direct only for a transfer that fits; a short read leaves the rest unaligned, for the page cache.
            if (d != null && d.fits(dst, offset)) {
                d.channel().read(dst, offset);
            }
            full = Positional.readFully(channel, dst, offset + (dst.position() - start));
        } catch (IOException e) {
            throw new ImageException(ErrorKind.IO, name, "cannot read at " + hex(offset + (dst.position() - start))
                    + ": " + e.getMessage(), e);
        }
        if (!full) {
            throw new ImageException(ErrorKind.IO, name, "file shrank while reading at "
                    + hex(offset + (dst.position() - start)));
        }
    }

    @Override
    public void close() throws IOException {
        try (FileChannel c = channel; DirectData.Reader d = direct) {
            // both closed
        }
    }
}
