package dev.virtchain.qcow2.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.zip.CRC32C;

/**
 * A file channel that tells a {@link RunningCrc32c} of every change made through it: before
 * each write it reads the bytes about to be overwritten (those inside the file; past its end they
 * are zeros) and before a cut the bytes about to be cut off, through {@code previous}, an
 * ordinary handle on the same file. Writes the tracker cannot follow byte by byte (a writable
 * mapping, {@code transferFrom}) make it lose track. Every other operation is the wrapped
 * channel's. All handles that write the file must be wrapped, with the same tracker.
 */
public final class CrcTrackingChannel extends FileChannel {
    /** Bytes of old content read at once. */
    private static final int PIECE = 1 << 20;

    private final FileChannel ch;
    private final FileChannel previous;
    private final RunningCrc32c crc;
    private ByteBuffer scratch;

    /**
     * @param ch       the channel written through
     * @param previous where the bytes a write replaces are read: an ordinary (not direct) handle
     *                 on the same file, {@code ch} itself when it is one
     */
    public CrcTrackingChannel(FileChannel ch, FileChannel previous, RunningCrc32c crc) {
        this.ch = ch;
        this.previous = previous;
        this.crc = crc;
    }

    /** Writes all of {@code src} (never fewer bytes: the tracker was told of all of them). */
    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        int n = src.remaining();
        try {
            track(src.duplicate(), position, n);
            Positional.writeFully(ch, src, position);
        } catch (IOException | RuntimeException e) {
            crc.lose();
            throw e;
        }
        return n;
    }

    /** Tells the tracker that {@code n} bytes, {@code src}'s, are written at {@code pos}. */
    private void track(ByteBuffer src, long pos, int n) throws IOException {
        int inside = (int) Math.max(0, Math.min(n, crc.length() - pos));
        if (inside > 0) {
            crc.overwrite(pos, inside, crcOf(pos, inside), crcOf(src.slice(src.position(), inside)));
        }
        if (inside < n) {
            // Past the end, the file reads as zeros until the write.
            crc.extendTo(pos + n);
            crc.overwrite(pos + inside, n - inside, Crc32cAlgebra.ofZeros(n - inside),
                    crcOf(src.slice(src.position() + inside, n - inside)));
        }
    }

    private static int crcOf(ByteBuffer b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    /** The CRC-32C of the file's {@code n} bytes at {@code pos} as they are now. */
    private synchronized int crcOf(long pos, long n) throws IOException {
        CRC32C c = new CRC32C();
        if (scratch == null && n > 0) {
            scratch = ByteBuffer.allocateDirect(PIECE);
        }
        for (long done = 0; done < n; ) {
            int piece = (int) Math.min(PIECE, n - done);
            scratch.clear().limit(piece);
            Positional.readZeroPadded(previous, scratch, pos + done);
            c.update(scratch.flip());
            done += piece;
        }
        return (int) c.getValue();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        try {
            long length = crc.length();
            if (size < length) {
                crc.cutTo(size, crcOf(size, length - size));
            }
            ch.truncate(size);
        } catch (IOException | RuntimeException e) {
            crc.lose();
            throw e;
        }
        return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return ch.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return ch.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return ch.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long p = ch.position();
        int n = write(src, p);
        ch.position(p + n);
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += write(srcs[i]);
        }
        return total;
    }

    @Override
    public long position() throws IOException {
        return ch.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        ch.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return ch.size();
    }

    @Override
    public void force(boolean metaData) throws IOException {
        ch.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return ch.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        crc.lose();
        return ch.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        if (mode != MapMode.READ_ONLY) {
            crc.lose();
        }
        return ch.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return ch.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return ch.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        ch.close();
    }
}
