package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.RefcountBlock;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.io.Zeros;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The refcounts the image records: the refcount table and the refcount blocks it points to,
 * entries 1 to 64 bits wide. Blocks are read as qemu reads them: bytes past the end of the
 * file are zero, so a block outside the image simply holds refcount 0 everywhere.
 */
public final class OnDiskRefcounts {
    private final ImageFile file;
    private final int clusterBits;
    private final int refcountOrder;
    /** log2 of the refcounts one block holds. */
    private final int blockBits;
    private final long[] table;
    private long cachedOffset = -1;
    private final byte[] block;

    public OnDiskRefcounts(ImageFile file, Qcow2Header h) throws IOException {
        this.file = file;
        this.clusterBits = h.clusterBits();
        this.refcountOrder = h.refcountOrder();
        this.blockBits = RefcountBlock.entryBits(clusterBits, refcountOrder);
        // Validated by the header: within the file and at most 8 MiB.
        int entries = (int) (Integer.toUnsignedLong(h.refcountTableClusters()) << clusterBits >>> 3);
        this.table = new long[entries];
        file.read("refcount table", h.refcountTableOffset(), entries * 8).asLongBuffer().get(table);
        this.block = new byte[1 << clusterBits];
    }

    public long[] table() {
        return table;
    }

    /** The largest value an entry can hold: 2^bits - 1. */
    public long max() {
        return RefcountBlock.max(refcountOrder);
    }

    /** Clusters one refcount block describes. */
    public long clustersPerBlock() {
        return 1L << blockBits;
    }

    /** The reftable entry's block offset for {@code cluster}, 0 when it has no block. */
    public long blockOffset(long cluster) {
        long index = cluster >>> blockBits;
        return index < table.length ? table[(int) index] & RefcountBlock.REFT_OFFSET_MASK : 0;
    }

    /** True when the refcount block for {@code cluster} is not cluster aligned (qemu cannot read it). */
    public boolean unaligned(long cluster) {
        return (blockOffset(cluster) & ((1L << clusterBits) - 1)) != 0;
    }

    /** The recorded refcount of {@code cluster}; the caller checks {@link #unaligned} first. */
    public long get(long cluster) throws IOException {
        long offset = blockOffset(cluster);
        if (offset == 0) {
            return 0;
        }
        if (offset != cachedOffset) {
            ByteBuffer b = ByteBuffer.wrap(block);
            if (offset > 0) {
                file.readZeroPadded(offset, b);
            } else {
                Zeros.fill(b); // past 2^63: certainly past the end of the file
            }
            cachedOffset = offset;
        }
        int i = (int) (cluster & ((1L << blockBits) - 1));
        return RefcountBlock.get(block, i, refcountOrder);
    }
}
