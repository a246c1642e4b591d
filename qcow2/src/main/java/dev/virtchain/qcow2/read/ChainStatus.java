package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import java.io.IOException;

/**
 * The block status of a guest range through a whole chain, as qemu's
 * {@code bdrv_block_status_above(bs, NULL, ...)} reports it with its flag bits; {@code qemu-img
 * compare -s} compares these bits, so they follow qemu exactly: a range past the end of a shorter
 * backing file is allocated zeros, a range no layer allocates is unallocated (zero when the
 * bottom layer is qcow2), and {@link #EOF} marks an extent that reaches the end of the image.
 */
public record ChainStatus(long length, int flags) {
    static final int DATA = 0x01;
    static final int ZERO = 0x02;
    static final int OFFSET_VALID = 0x04;
    static final int ALLOCATED = 0x10;
    static final int EOF = 0x20;

    /** qcow2_co_block_status asks for at most INT_MAX bytes at a time. */
    private static final long QCOW2_MAX_REQUEST = Integer.MAX_VALUE;

    public boolean allocated() {
        return (flags & ALLOCATED) != 0;
    }

    public boolean zero() {
        return (flags & ZERO) != 0;
    }

    /** The status of {@code top}'s chain from {@code offset}, at most {@code bytes} long. */
    public static ChainStatus above(Image top, long offset, long bytes) throws IOException {
        ChainStatus s = layer(top, offset, bytes);
        if (s.allocated()) {
            return s;
        }
        long eof = (s.flags & EOF) != 0 ? offset + s.length : -1;
        long n = s.length;
        for (Image p = top.backing(); p != null; p = p.backing()) {
            if (offset >= p.virtualSize()) {
                // qemu: zeros synthesized past a short backing file count as allocated there.
                s = new ChainStatus(n, ZERO | ALLOCATED);
                break;
            }
            s = layer(p, offset, n);
            if (s.allocated()) {
                // the lower layer's end of file says nothing about the top image's
                s = new ChainStatus(s.length, s.flags & ~EOF);
                break;
            }
            n = s.length;
        }
        return offset + s.length == eof ? new ChainStatus(s.length, s.flags | EOF) : s;
    }

    /** One layer's status with qemu's want_zero semantics (bdrv_co_block_status). */
    static ChainStatus layer(Image image, long offset, long bytes) throws IOException {
        long size = image.virtualSize();
        long n = Math.min(bytes, size - offset);
        boolean qcow2 = "qcow2".equals(image.format());
        if (qcow2) {
            n = Math.min(n, QCOW2_MAX_REQUEST);
        }
        LayerStatus s = image.status(offset, n);
        int f = (s.data() ? DATA : 0) | (s.zero() ? ZERO : 0) | (s.hasOffset() ? OFFSET_VALID : 0);
        if (s.allocated()) {
            f |= ALLOCATED;
        } else if (qcow2) {
            Image below = image.backing();
            if (below == null || offset >= below.virtualSize()) {
                f |= ZERO;
            }
        }
        if (offset + s.length() == size) {
            f |= EOF;
        }
        return new ChainStatus(s.length(), f);
    }
}
