package dev.virtchain.qcow2.write;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.RefcountBlock;
import dev.virtchain.qcow2.io.Positional;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The refcount table and refcount blocks of an image opened for writing. New clusters are
 * always appended at the end of the file, so an increment never touches a cluster that an
 * existing table refers to; the structures count themselves (a new refcount block may cover
 * its own cluster, a relocated refcount table counts its own clusters). Decrements are
 * queued and applied only after the references to the freed clusters are gone from disk.
 */
final class Refcounts {
    private final String name;
    private final FileChannel ch;
    private final int clusterBits;
    private final long clusterSize;
    private final int refcountOrder;
    private final long entriesPerBlock;
    private final long maxRefcount;

    private final DirtyTable table;
    private final DirtyBlocks<byte[]> blocks = new DirtyBlocks<>();
    private final List<long[]> pendingFrees = new ArrayList<>();
    private long nextFree;
    /** Where the next compressed cluster goes: right after the last one, or 0 for a new host cluster. */
    private long byteCursor;

    Refcounts(String name, FileChannel ch, int clusterBits, int refcountOrder, DirtyTable table, long fileSize) {
        this.name = name;
        this.ch = ch;
        this.clusterBits = clusterBits;
        this.clusterSize = 1L << clusterBits;
        this.refcountOrder = refcountOrder;
        this.entriesPerBlock = 1L << RefcountBlock.entryBits(clusterBits, refcountOrder);
        long max = RefcountBlock.max(refcountOrder);
        this.maxRefcount = max < 0 ? Long.MAX_VALUE : max; // counted in signed longs here
        this.table = table;
        this.nextFree = (fileSize + clusterSize - 1) >>> clusterBits;
    }

    long tableOffset() {
        return table.offset();
    }

    int tableClusters() {
        return (int) ((table.length() * 8L) >>> clusterBits);
    }

    /** Whether the table moved since the last flush; the header must then point to it. */
    boolean tableMoved() {
        return table.moved();
    }

    /** The file's end as the allocator sees it. */
    long endOffset() {
        return nextFree << clusterBits;
    }

    /** Appends {@code count} contiguous clusters with refcount 1 and returns the first one's offset. */
    long allocate(int count) throws IOException {
        long first = nextFree;
        nextFree += count;
        for (long c = first; c < first + count; c++) {
            add(c, 1);
        }
        return first << clusterBits;
    }

    /**
     * Allocates {@code length} bytes for a compressed cluster and returns their offset; qemu's
     * qcow2_alloc_bytes. Compressed clusters are packed one after another, and every host cluster
     * a compressed cluster touches counts it once. A host cluster whose refcount is at its
     * maximum (1 with 1-bit refcounts) cannot count one more; the bytes then start a new one.
     */
    long allocateBytes(int length) throws IOException {
        long start = byteCursor;
        long end = start + length;
        boolean shareable = start != 0 && get(start >>> clusterBits) < maxRefcount;
        boolean fits = shareable && ((end - 1) >>> clusterBits) == (start >>> clusterBits);
        boolean extendsContiguously = shareable && endOffset() == ((start >>> clusterBits) + 1) << clusterBits;
        if (!fits && !extendsContiguously) {
            start = allocate((int) ((length + clusterSize - 1) >>> clusterBits));
            end = start + length;
        } else {
            add(start >>> clusterBits, 1); // the partly used cluster counts one more compressed cluster
            long have = ((start >>> clusterBits) + 1) << clusterBits;
            if (end > have) {
                long more = (end - have + clusterSize - 1) >>> clusterBits;
                if (allocate((int) more) != have) {
                    throw new IllegalStateException("compressed cluster allocation is not contiguous");
                }
            }
        }
        // The next compressed cluster starts right after this one, as qemu packs them.
        byteCursor = (end & (clusterSize - 1)) == 0 ? 0 : end;
        return start;
    }

    long get(long cluster) throws IOException {
        long blockIndex = cluster / entriesPerBlock;
        if (blockIndex >= table.length() || table.get((int) blockIndex) == 0) {
            return 0;
        }
        return RefcountBlock.get(block(blockIndex), (int) (cluster % entriesPerBlock), refcountOrder);
    }

    /** Queues a decrement of the clusters {@code offset..offset+length}, applied by {@link #applyFrees}. */
    void freeLater(long offset, long length) {
        pendingFrees.add(new long[] {offset, length});
    }

    boolean hasPendingFrees() {
        return !pendingFrees.isEmpty();
    }

    void applyFrees() throws IOException {
        for (long[] f : pendingFrees) {
            long first = f[0] >>> clusterBits;
            long last = (f[0] + f[1] - 1) >>> clusterBits;
            for (long c = first; c <= last; c++) {
                add(c, -1);
            }
        }
        pendingFrees.clear();
    }

    private void add(long cluster, long delta) throws IOException {
        long blockIndex = cluster / entriesPerBlock;
        if (blockIndex >= table.length()) {
            growTable(blockIndex + 1);
        }
        if (table.get((int) blockIndex) == 0) {
            newBlock(blockIndex);
        }
        byte[] b = block(blockIndex);
        int i = (int) (cluster % entriesPerBlock);
        long v = RefcountBlock.get(b, i, refcountOrder) + delta;
        if (v < 0 || v > maxRefcount) {
            throw new ImageException(ErrorKind.CORRUPT, name, "refcount of cluster " + hex(cluster << clusterBits)
                    + " would become " + v + " (" + (1 << refcountOrder) + "-bit refcounts)");
        }
        RefcountBlock.set(b, i, refcountOrder, v);
        blocks.changed(blockIndex);
    }

    private void newBlock(long blockIndex) throws IOException {
        long cluster = nextFree++;
        table.set((int) blockIndex, cluster << clusterBits);
        blocks.putNew(blockIndex, new byte[(int) clusterSize]);
        add(cluster, 1); // a block may count itself
    }

    private void growTable(long minEntries) throws IOException {
        long entriesPerCluster = clusterSize / 8;
        // Room for twice the blocks, plus the new table's own clusters and the blocks covering them.
        long want = Math.max(minEntries, table.length() * 2L) + 2;
        long clusters = (want + entriesPerCluster - 1) / entriesPerCluster;
        if (clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "refcount table would exceed "
                    + Qcow2Header.MAX_REFCOUNT_TABLE_BYTES
                    + " bytes; the image is too large for " + clusterSize + "-byte clusters");
        }
        long oldOffset = table.offset();
        int oldClusters = tableClusters();
        long first = nextFree;
        nextFree += clusters;
        table.moveTo(first << clusterBits, (int) (clusters * entriesPerCluster));
        for (long c = first; c < first + clusters; c++) {
            add(c, 1);
        }
        freeLater(oldOffset, (long) oldClusters << clusterBits);
    }

    private byte[] block(long blockIndex) throws IOException {
        byte[] b = blocks.get(blockIndex);
        if (b == null) {
            long off = table.get((int) blockIndex) & RefcountBlock.REFT_OFFSET_MASK;
            if ((off & (clusterSize - 1)) != 0) {
                throw new ImageException(ErrorKind.CORRUPT, name, "refcount table entry " + blockIndex + " points to "
                        + hex(off) + ", which is not cluster aligned");
            }
            if (off + clusterSize > ch.size()) {
                throw new ImageException(ErrorKind.CORRUPT, name, "refcount block " + blockIndex + " at " + hex(off)
                        + " lies past end of file");
            }
            b = new byte[(int) clusterSize];
            readFully(ByteBuffer.wrap(b), off);
            blocks.putRead(blockIndex, b);
        }
        return b;
    }

    /** Writes dirty refcount blocks and the table (all of it when it moved, else the changed entries). */
    void writeDirty() throws IOException {
        blocks.writeChanged((blockIndex, b) -> writeFully(ByteBuffer.wrap(b), table.get((int) blockIndex)));
        table.writeIfMoved(ch);
        table.writeChanged(ch);
    }

    /** Called once the header points to the moved table. */
    void tableCommitted() {
        table.settled();
    }

    private void readFully(ByteBuffer b, long pos) throws IOException {
        if (!Positional.readFully(ch, b, pos)) {
            throw new ImageException(ErrorKind.CORRUPT, name, "unexpected end of file at " + hex(pos + b.position()));
        }
    }

    private void writeFully(ByteBuffer b, long pos) throws IOException {
        Positional.writeFully(ch, b, pos);
    }
}
