package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The mapping tables of an image opened for writing, with what changed since they were last
 * written: the L1 table and the L2 tables read or made so far (crosvm's VecCache, for both
 * levels). {@link Qcow2Writer#flush} writes them back in its order: the L2 tables and a moved
 * L1 table first ({@link #writeL2Tables}), then the changed entries of the L1 table in place
 * ({@link #writeL1Entries}). New tables come from the allocator, {@link Refcounts}.
 */
final class TableCache {
    /** Dirty L2 tables kept before an intermediate flush, whatever the cluster size. */
    private static final long DIRTY_L2_BYTES = 64L << 20;

    private final String name;
    private final FileChannel ch;
    private final Refcounts refs;
    private final int clusterBits;
    private final long clusterSize;
    private final boolean extendedL2;
    private final int l2Bits;
    private long[] l1;
    private long l1Offset;
    private boolean l1Moved;
    private final TreeSet<Integer> dirtyL1 = new TreeSet<>();
    private final Map<Long, long[]> l2Tables = new HashMap<>();
    private final TreeSet<Long> dirtyL2 = new TreeSet<>();

    /** @param l1 the image's L1 table, from {@link #readL1} */
    TableCache(String name, FileChannel ch, Refcounts refs, Qcow2Header h, long[] l1) {
        this.name = name;
        this.ch = ch;
        this.refs = refs;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.extendedL2 = h.extendedL2();
        this.l2Bits = h.l2Bits();
        this.l1 = l1;
        this.l1Offset = h.l1TableOffset();
    }

    /** Reads the L1 table that {@code h} (validated) places; past the end of the file reads as zeros. */
    static long[] readL1(FileChannel ch, Qcow2Header h) throws IOException {
        long[] l1 = new long[h.l1Size()];
        ByteBuffer b = ByteBuffer.allocate(h.l1Size() * 8);
        Positional.readZeroPadded(ch, b, h.l1TableOffset());
        b.flip().asLongBuffer().get(l1);
        return l1;
    }

    int l1Entries() {
        return l1.length;
    }

    long l1Offset() {
        return l1Offset;
    }

    /** Index of a guest cluster's entry in its L2 table's long[] (entry, then bitmap with extended L2). */
    int entryIndex(long guest) {
        return L2Entry.slot((int) ((guest >>> clusterBits) & ((1L << l2Bits) - 1)), extendedL2);
    }

    /** Marks the L2 table that maps {@code guest} as changed. */
    void changed(long guest) {
        dirtyL2.add(L2Entry.l2Table(l1[l1Index(guest)]));
    }

    private int l1Index(long guest) {
        return (int) (guest >>> (clusterBits + l2Bits));
    }

    /** The L2 table covering {@code guest}; allocated when {@code create}, else null when there is none. */
    long[] l2For(long guest, boolean create) throws IOException {
        int l1Index = l1Index(guest);
        long l1e = l1[l1Index];
        long off = L2Entry.l2Table(l1e);
        if (off == 0) {
            if (!create) {
                return null;
            }
            off = refs.allocate(1);
            l1[l1Index] = L2Entry.owned(off);
            dirtyL1.add(l1Index);
            long[] t = new long[(int) (clusterSize / 8)];
            l2Tables.put(off, t);
            dirtyL2.add(off);
            return t;
        }
        if ((off & (clusterSize - 1)) != 0) {
            throw new ImageException(name, "l1 entry " + l1Index + " points to l2 table at " + hex(off)
                    + ", which is not cluster aligned");
        }
        long[] t = l2Tables.get(off);
        if (t == null) {
            if (!L2Entry.copied(l1e) && create) {
                throw new ImageException(name, "l2 table at " + hex(off) + " is shared (COPIED flag clear)");
            }
            if (off + clusterSize > ch.size()) {
                throw new ImageException(name, "l2 table at " + hex(off) + " lies past end of file");
            }
            ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
            Positional.readZeroPadded(ch, b, off);
            t = new long[(int) (clusterSize / 8)];
            b.flip().asLongBuffer().get(t);
            l2Tables.put(off, t);
        }
        return t;
    }

    /** The number of clusters from {@code guest} (at most {@code max}) that hold no host cluster yet. */
    int unmappedRun(long guest, long max) throws IOException {
        int n = 0;
        long limit = Math.min(max, 4096);
        while (n < limit) {
            long c = guest + n * clusterSize;
            long[] t = l2For(c, false);
            if (t != null && L2Entry.type(t[entryIndex(c)], extendedL2, false).refersToHost()) {
                break;
            }
            n++;
        }
        return n;
    }

    /** Points {@code clusters} guest clusters from {@code guest} at the host run from {@code host}. */
    void mapRun(long guest, long host, int clusters) throws IOException {
        for (int i = 0; i < clusters; i++) {
            long c = guest + i * clusterSize;
            long[] t = l2For(c, true);
            int idx = entryIndex(c);
            t[idx] = L2Entry.owned(host + i * clusterSize);
            if (extendedL2) {
                t[idx + 1] = L2Entry.L2_BITMAP_ALL_ALLOC;
            }
            changed(c);
        }
    }

    /** Grows the L1 table to {@code entries}: it moves to new clusters, and its old ones are freed later. */
    void growL1(int entries) throws IOException {
        int clusters = (int) ((entries * 8L + clusterSize - 1) / clusterSize);
        long oldOffset = l1Offset;
        long oldBytes = l1.length * 8L;
        l1 = Arrays.copyOf(l1, entries);
        l1Offset = refs.allocate(clusters);
        l1Moved = true;
        if (oldBytes > 0) {
            refs.freeLater(oldOffset, oldBytes);
        }
    }

    /** Whether so many L2 tables changed that the writer should flush them now. */
    boolean fullOfChanges() {
        return dirtyL2.size() * clusterSize > DIRTY_L2_BYTES;
    }

    /** Forgets the unchanged L2 tables once the cache holds too many; they are read again when needed. */
    void trim() {
        if (l2Tables.size() * clusterSize > 2 * DIRTY_L2_BYTES) {
            l2Tables.keySet().removeIf(off -> !dirtyL2.contains(off));
        }
    }

    /** Writes the changed L2 tables, and a moved L1 table whole (nothing points at it yet). */
    void writeL2Tables() throws IOException {
        for (long off : dirtyL2) {
            ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
            b.asLongBuffer().put(l2Tables.get(off));
            Positional.writeFully(ch, b, off);
        }
        dirtyL2.clear();
        if (l1Moved) {
            ByteBuffer b = ByteBuffer.allocate(l1.length * 8);
            b.asLongBuffer().put(l1);
            Positional.writeFully(ch, b, l1Offset);
        }
    }

    /**
     * Writes the changed L1 entries in place, unless the table moved ({@link #writeL2Tables}
     * wrote it whole).
     *
     * @return whether the table moved since the last flush: the header must then point at it
     */
    boolean writeL1Entries() throws IOException {
        boolean moved = l1Moved;
        if (!moved) {
            for (int i : dirtyL1) {
                Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, l1[i]), l1Offset + i * 8L);
            }
        }
        dirtyL1.clear();
        l1Moved = false;
        return moved;
    }
}
