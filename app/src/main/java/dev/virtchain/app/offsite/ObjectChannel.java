package dev.virtchain.app.offsite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * One object of a bucket as a read-only {@link FileChannel}, so that the qcow2 reader, which reads
 * by position, reads a backup file in a bucket as it reads one on disk. Reads go through the
 * blocks of {@link RemoteFiles} (ranged GETs, with read-ahead); writing is refused.
 */
final class ObjectChannel extends FileChannel {
    private final RemoteFiles files;
    private final String name;
    private final long size;
    private long position;

    ObjectChannel(RemoteFiles files, String name, long size) {
        this.files = files;
        this.name = name;
        this.size = size;
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        if (pos >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - pos);
        files.read(name, size, pos, dst.slice(dst.position(), n));
        dst.position(dst.position() + n);
        return n;
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
        }
        return total;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized long position() {
        return position;
    }

    @Override
    public synchronized FileChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long s) {
        throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) {
        // nothing written
    }

    @Override
    public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 20));
        int n = read(buf, pos);
        if (n <= 0) {
            return 0;
        }
        buf.flip();
        return target.write(buf);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long pos, long count) {
        throw new NonWritableChannelException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long pos, long s) {
        throw new UnsupportedOperationException("an object in a bucket cannot be mapped");
    }

    @Override
    public FileLock lock(long pos, long s, boolean shared) {
        throw new NonReadableChannelException();
    }

    @Override
    public FileLock tryLock(long pos, long s, boolean shared) {
        throw new NonReadableChannelException();
    }

    @Override
    protected void implCloseChannel() {
        // the blocks belong to RemoteFiles, which the caller closes
    }
}
