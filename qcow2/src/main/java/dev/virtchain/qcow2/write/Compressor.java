package dev.virtchain.qcow2.write;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.virtchain.qcow2.format.Qcow2Header;
import java.util.zip.Deflater;

/**
 * Compresses one cluster the way qemu can read it back. qemu inflates zlib clusters as raw
 * deflate with a 4 KiB window (windowBits -12) while java.util.zip always compresses with a
 * 32 KiB window, so the input is fed in 4 KiB pieces with a full flush after each: a full
 * flush resets the match history, so no back-reference reaches further than 4 KiB.
 */
public final class Compressor implements AutoCloseable {
    private static final int ZLIB_WINDOW = 4096;
    private static final int ZSTD_LEVEL = 3; // zstd's default, as qemu uses

    private final int type;
    private final Deflater deflater;
    private final ZstdCompressCtx zstd;
    /** zstd's worst case for a cluster: zstd-jni throws rather than stop at a smaller buffer's end. */
    private byte[] zstdOut;

    public Compressor(int compressionType) {
        this.type = compressionType;
        this.deflater = compressionType == Qcow2Header.COMPRESSION_ZLIB
                ? new Deflater(Deflater.DEFAULT_COMPRESSION, true) : null;
        this.zstd = compressionType == Qcow2Header.COMPRESSION_ZSTD
                ? new ZstdCompressCtx().setLevel(ZSTD_LEVEL) : null;
    }

    /**
     * Compresses {@code cluster} into {@code out}.
     *
     * @return the compressed length, or -1 when it would not be smaller than the cluster or
     *         not fit in {@code out} (the cluster is then stored uncompressed, as qemu does)
     */
    public int compress(byte[] cluster, byte[] out) {
        return type == Qcow2Header.COMPRESSION_ZSTD ? zstd(cluster, out) : zlib(cluster, out);
    }

    private int zstd(byte[] cluster, byte[] out) {
        int bound = (int) Zstd.compressBound(cluster.length);
        if (zstdOut == null || zstdOut.length < bound) {
            zstdOut = new byte[bound];
        }
        int n = zstd.compressByteArray(zstdOut, 0, bound, cluster, 0, cluster.length);
        if (n >= cluster.length || n > out.length) {
            return -1;
        }
        System.arraycopy(zstdOut, 0, out, 0, n);
        return n;
    }

    /** Deflate stops where {@code out} ends: output that reaches its end does not fit. */
    private int zlib(byte[] cluster, byte[] out) {
        deflater.reset();
        int written = 0;
        for (int off = 0; off < cluster.length; off += ZLIB_WINDOW) {
            deflater.setInput(cluster, off, Math.min(ZLIB_WINDOW, cluster.length - off));
            int mode = Deflater.FULL_FLUSH;
            do {
                int n = deflater.deflate(out, written, out.length - written, mode);
                written += n;
                if (written >= out.length) {
                    return -1;
                }
                if (n == 0 && deflater.needsInput()) {
                    break;
                }
            } while (true);
        }
        deflater.finish();
        while (!deflater.finished()) {
            written += deflater.deflate(out, written, out.length - written);
            if (written >= out.length) {
                return -1;
            }
        }
        return written < cluster.length ? written : -1;
    }

    @Override
    public void close() {
        if (deflater != null) {
            deflater.end();
        }
        if (zstd != null) {
            zstd.close();
        }
    }
}
