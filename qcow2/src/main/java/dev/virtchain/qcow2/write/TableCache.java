package dev.virtchain.qcow2.write;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.Positional;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

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
    private final DirtyTable l1;
    private final DirtyBlocks<long[]> l2Tables = new DirtyBlocks<>();

    /** @param l1 the image's L1 table, as {@code h} places it */
    TableCache(String name, FileChannel ch, Refcounts refs, Qcow2Header h, DirtyTable l1) {
        this.name = name;
        this.ch = ch;
        this.refs = refs;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.extendedL2 = h.extendedL2();
        this.l2Bits = h.l2Bits();
        this.l1 = l1;
    }

    int l1Entries() {
        return l1.length();
    }

    long l1Offset() {
        return l1.offset();
    }

    /** Index of a guest cluster's entry in its L2 table's long[] (entry, then bitmap with extended L2). */
    int entryIndex(long guest) {
        return L2Entry.slot((int) ((guest >>> clusterBits) & ((1L << l2Bits) - 1)), extendedL2);
    }

    /** Marks the L2 table that maps {@code guest} as changed. */
    void changed(long guest) {
        l2Tables.changed(L2Entry.l2Table(l1.get(l1Index(guest))));
    }

    private int l1Index(long guest) {
        return (int) (guest >>> (clusterBits + l2Bits));
    }

    /** The L2 table covering {@code guest}; allocated when {@code create}, else null when there is none. */
    long[] l2For(long guest, boolean create) throws IOException {
        int l1Index = l1Index(guest);
        long l1e = l1.get(l1Index);
        long off = L2Entry.l2Table(l1e);
        if (off == 0) {
            if (!create) {
                return null;
            }
            off = refs.allocate(1);
            l1.set(l1Index, L2Entry.owned(off));
            long[] t = new long[(int) (clusterSize / 8)];
            l2Tables.putNew(off, t);
            return t;
        }
        if ((off & (clusterSize - 1)) != 0) {
            throw new ImageException(ErrorKind.CORRUPT, name, "l1 entry " + l1Index + " points to l2 table at "
                    + hex(off) + ", which is not cluster aligned");
        }
        long[] t = l2Tables.get(off);
        if (t == null) {
            if (!L2Entry.copied(l1e) && create) {
                throw new ImageException(ErrorKind.UNSUPPORTED, name, "l2 table at " + hex(off)
                        + " is shared (COPIED flag clear)");
            }
            if (off + clusterSize > ch.size()) {
                throw new ImageException(ErrorKind.CORRUPT, name, "l2 table at " + hex(off) + " lies past end of file");
            }
            ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
            Positional.readZeroPadded(ch, b, off);
            t = new long[(int) (clusterSize / 8)];
            b.flip().asLongBuffer().get(t);
            l2Tables.putRead(off, t);
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

    /**
     * The number of clusters from {@code guest} (at most {@code max}) that are data clusters of
     * this image's own (standard L2 entries, COPIED, not zero) on consecutive host clusters, the
     * first one's host cluster onwards: a write over them is one write. 0 with extended L2.
     */
    int ownedRun(long guest, long max) throws IOException {
        if (extendedL2) {
            return 0;
        }
        long limit = Math.min(max, 4096);
        long first = 0;
        int n = 0;
        while (n < limit) {
            long c = guest + n * clusterSize;
            long[] t = l2For(c, false);
            long e = t == null ? 0 : t[entryIndex(c)];
            if (t == null || L2Entry.type(e, false, false) != L2Entry.Type.NORMAL || !L2Entry.copied(e)) {
                break;
            }
            if (n == 0) {
                first = L2Entry.offset(e);
            } else if (L2Entry.offset(e) != first + n * clusterSize) {
                break;
            }
            n++;
        }
        return n;
    }

    /** The host cluster of guest cluster {@code guest}, mapped by a standard entry. */
    long hostOf(long guest) throws IOException {
        return L2Entry.offset(l2For(guest, false)[entryIndex(guest)]);
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
        long oldOffset = l1.offset();
        long oldBytes = l1.length() * 8L;
        l1.moveTo(refs.allocate(clusters), entries);
        if (oldBytes > 0) {
            refs.freeLater(oldOffset, oldBytes);
        }
    }

    /** Whether so many L2 tables changed that the writer should flush them now. */
    boolean fullOfChanges() {
        return l2Tables.changedCount() * clusterSize > DIRTY_L2_BYTES;
    }

    /** Forgets the unchanged L2 tables once the cache holds too many; they are read again when needed. */
    void trim() {
        if (l2Tables.size() * clusterSize > 2 * DIRTY_L2_BYTES) {
            l2Tables.forgetUnchanged();
        }
    }

    /** Writes the changed L2 tables, and a moved L1 table whole (nothing points at it yet). */
    void writeL2Tables() throws IOException {
        l2Tables.writeChanged((off, table) -> {
            ByteBuffer b = ByteBuffer.allocate((int) clusterSize);
            b.asLongBuffer().put(table);
            Positional.writeFully(ch, b, off);
        });
        l1.writeIfMoved(ch);
    }

    /**
     * Writes the changed L1 entries in place, unless the table moved ({@link #writeL2Tables}
     * wrote it whole).
     *
     * @return whether the table moved since the last flush: the header must then point at it
     */
    boolean writeL1Entries() throws IOException {
        boolean moved = l1.moved();
        l1.writeChanged(ch);
        l1.settled();
        return moved;
    }
}
