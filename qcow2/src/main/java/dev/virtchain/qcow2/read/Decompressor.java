package dev.virtchain.qcow2.read;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.virtchain.qcow2.format.Qcow2Header;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates one compressed cluster. qemu stores zlib clusters as raw deflate (no header, 4 KiB
 * window) and zstd clusters as one zstd frame; both are followed by padding up to a sector,
 * so decompression stops once the cluster is full, as qemu's does.
 */
public final class Decompressor implements AutoCloseable {
    private final int type;
    private Inflater inflater;
    private ZstdDecompressCtx zstd;
    private ByteBuffer zstdIn;
    private ByteBuffer zstdOut;

    public Decompressor(int compressionType) {
        this.type = compressionType;
    }

    /**
     * Decompresses {@code src} into all of {@code dst}.
     *
     * @return null on success, else what went wrong
     */
    public String decompress(byte[] src, int srcLen, byte[] dst) {
        return type == Qcow2Header.COMPRESSION_ZSTD ? zstd(src, srcLen, dst) : zlib(src, srcLen, dst);
    }

    private String zlib(byte[] src, int srcLen, byte[] dst) {
        if (inflater == null) {
            inflater = new Inflater(true);
        }
        inflater.reset();
        inflater.setInput(src, 0, srcLen);
        int done = 0;
        try {
            while (done < dst.length) {
                int n = inflater.inflate(dst, done, dst.length - done);
                done += n;
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
            }
        } catch (DataFormatException e) {
            return "zlib data is damaged (" + e.getMessage() + ")";
        }
        return done == dst.length ? null : "zlib data inflates to " + done + " bytes, not the cluster's " + dst.length;
    }

    private String zstd(byte[] src, int srcLen, byte[] dst) {
        if (zstd == null) {
            zstd = new ZstdDecompressCtx();
        }
        zstd.reset();
        if (zstdIn == null || zstdIn.capacity() < srcLen) {
            zstdIn = ByteBuffer.allocateDirect(Math.max(srcLen, 4096));
        }
        if (zstdOut == null || zstdOut.capacity() < dst.length) {
            zstdOut = ByteBuffer.allocateDirect(dst.length);
        }
        zstdIn.clear();
        zstdIn.put(src, 0, srcLen).flip();
        zstdOut.clear().limit(dst.length);
        try {
            while (zstdOut.hasRemaining()) {
                int inBefore = zstdIn.position();
                int outBefore = zstdOut.position();
                zstd.decompressDirectByteBufferStream(zstdOut, zstdIn);
                if (zstdIn.position() == inBefore && zstdOut.position() == outBefore) {
                    break;
                }
            }
        } catch (ZstdException e) {
            return "zstd data is damaged (" + e.getMessage() + ")";
        }
        int done = zstdOut.position();
        if (done != dst.length) {
            return "zstd data decompresses to " + done + " bytes, not the cluster's " + dst.length;
        }
        zstdOut.flip().get(dst);
        return null;
    }

    @Override
    public void close() {
        if (inflater != null) {
            inflater.end();
        }
        if (zstd != null) {
            zstd.close();
        }
    }
}
