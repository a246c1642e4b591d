package dev.virtchain.qcow2;

import com.github.luben.zstd.Zstd;
import java.util.zip.Deflater;

/**
 * Compresses one cluster the way qemu can read it back. qemu inflates zlib clusters as raw
 * deflate with a 4 KiB window (windowBits -12) while java.util.zip always compresses with a
 * 32 KiB window, so the input is fed in 4 KiB pieces with a full flush after each: a full
 * flush resets the match history, so no back-reference reaches further than 4 KiB.
 */
final class Compressor implements AutoCloseable {
    private static final int ZLIB_WINDOW = 4096;
    private static final int ZSTD_LEVEL = 3; // zstd's default, as qemu uses

    private final int type;
    private final Deflater deflater;

    Compressor(int compressionType) {
        this.type = compressionType;
        this.deflater = compressionType == Qcow2Header.COMPRESSION_ZLIB
                ? new Deflater(Deflater.DEFAULT_COMPRESSION, true) : null;
    }

    /**
     * Compresses {@code cluster} into {@code out}.
     *
     * @return the compressed length, or -1 when it would not be smaller than the cluster
     *         (the cluster is then stored uncompressed, as qemu does)
     */
    int compress(byte[] cluster, byte[] out) {
        if (type == Qcow2Header.COMPRESSION_ZSTD) {
            long n = Zstd.compressByteArray(out, 0, out.length, cluster, 0, cluster.length, ZSTD_LEVEL);
            return Zstd.isError(n) || n >= cluster.length ? -1 : (int) n;
        }
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
    }
}
