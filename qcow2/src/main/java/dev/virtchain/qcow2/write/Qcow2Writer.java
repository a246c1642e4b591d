package dev.virtchain.qcow2.write;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.CompressedCluster;
import dev.virtchain.qcow2.format.HeaderField;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.DirectData;
import dev.virtchain.qcow2.io.Positional;
import dev.virtchain.qcow2.io.RunningCrc32c;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A qcow2 image opened for writing guest data. Data clusters and new metadata are appended at
 * the end of the file; COPIED flags always equal "refcount is 1"; lazy refcounts are never used.
 *
 * <p>{@link #flush} makes the image consistent on disk in a fixed order, so an interruption at
 * any instant leaves at most leaked clusters, never a reference to a cluster whose refcount
 * is not yet on disk: (1) data clusters, refcount blocks and the refcount table, force;
 * (2) the header's refcount table fields when the table moved, force; (3) L2 tables, force;
 * (4) the L1 table and the header's size and L1 fields, force; (5) decrements for clusters
 * nothing refers to any more, force.
 */
public final class Qcow2Writer implements Closeable {
    private final String name;
    private final FileChannel ch;
    private final int clusterBits;
    private final long clusterSize;
    private final boolean extendedL2;
    private final boolean zeroFlag;
    private final Refcounts refs;
    private final PriorContent prior;
    private final TableCache tables;
    private long size;
    private boolean headerDirty;
    /** The file's direct handle for guest data, once {@link #directData} opened it; else null. */
    private DirectData direct;
    /** Told of every change to the file, when the caller asked for it; else null. */
    private RunningCrc32c crc;

    /** A writer of the image {@code h} describes, open as {@code ch}; see {@link WritableFile}. */
    Qcow2Writer(String name, FileChannel ch, Qcow2Header h, DirtyTable l1, DirtyTable reftable, long fileSize) {
        this.name = name;
        this.ch = ch;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.extendedL2 = h.extendedL2();
        this.zeroFlag = h.version() >= 3;
        this.size = h.size();
        this.prior = new PriorContent(name, ch, h);
        this.refs = new Refcounts(name, ch, clusterBits, h.refcountOrder(), reftable, fileSize);
        this.tables = new TableCache(name, ch, refs, h, l1);
    }

    /**
     * Creates a new, empty image at {@code path}, which must not exist. As qemu-img create does,
     * it first writes an image of size 0 (the header, the refcount table and one refcount block
     * counting those three clusters) and then grows it to its size: the L1 table, and the
     * refcount blocks and table the L1 table's clusters need, come from the allocator like any
     * other metadata, so no size has a layout of its own that could outgrow a block or a table.
     */
    public static Qcow2Writer create(Path path, CreateOptions o) throws IOException {
        return WritableFile.create(path, o);
    }

    /** Opens an existing qcow2 image for writing. */
    public static Qcow2Writer open(Path path) throws IOException {
        return WritableFile.open(path, null);
    }

    /**
     * Opens an existing qcow2 image for writing, every change to its file told to {@code crc}
     * (see {@link RunningCrc32c}), which must start from the file as it is now.
     */
    public static Qcow2Writer open(Path path, RunningCrc32c crc) throws IOException {
        return WritableFile.open(path, crc);
    }

    /** Set by {@link WritableFile}: the direct handle's writes are told to it too. */
    void track(RunningCrc32c c) { this.crc = c; }

    /**
     * Takes back what {@code excess} says each cluster of {@code path} is counted more often than
     * it is referenced (a check's leaks: see {@code ops.LeakRepair}). A writer killed inside
     * {@link #flush} leaves such clusters; they harm nothing, but a check reports them.
     */
    public static void freeLeaked(Path path, java.util.Map<Long, Long> excess) throws IOException {
        freeLeaked(path, excess, null);
    }

    /** As {@link #freeLeaked(Path, java.util.Map)}, the changes told to {@code crc} (may be null). */
    public static void freeLeaked(Path path, java.util.Map<Long, Long> excess, RunningCrc32c crc) throws IOException {
        try (Qcow2Writer w = open(path, crc)) {
            for (java.util.Map.Entry<Long, Long> e : excess.entrySet()) {
                for (long i = 0; i < e.getValue(); i++) {
                    w.refs.freeLater(e.getKey() << w.clusterBits, w.clusterSize);
                }
            }
        } // close flushes: step (5) applies the decrements
    }

    public long virtualSize() {
        return size;
    }

    public long clusterSize() {
        return clusterSize;
    }

    /** Writes guest data at {@code offset}; the range must lie within the virtual size. */
    public void write(long offset, ByteBuffer data) throws IOException {
        checkRange(offset, data.remaining());
        long pos = offset;
        while (data.hasRemaining()) {
            long inCluster = pos & (clusterSize - 1);
            int n = (int) Math.min(clusterSize - inCluster, data.remaining());
            if (inCluster == 0 && n == clusterSize) {
                int run = tables.unmappedRun(pos, data.remaining() / clusterSize);
                if (run == 0) {
                    // Clusters of its own on consecutive host clusters: overwritten in place, in one write.
                    run = tables.ownedRun(pos, data.remaining() / clusterSize);
                    if (run > 0) {
                        DirectData.write(direct, ch, data.slice(data.position(), (int) (run * clusterSize)),
                                tables.hostOf(pos));
                    }
                } else {
                    writeFresh(pos, data.slice(data.position(), (int) (run * clusterSize)), run);
                }
                if (run > 0) {
                    data.position(data.position() + (int) (run * clusterSize));
                    pos += run * clusterSize;
                    continue;
                }
            }
            writeInCluster(pos, data.slice(data.position(), n));
            data.position(data.position() + n);
            pos += n;
        }
        maybeFlush();
    }

    /**
     * Stores {@code compressed} (a compressed cluster of this image's compression type) as the
     * cluster at {@code guest}, which must be cluster aligned and not yet hold a host cluster.
     * Compressed clusters are packed byte by byte; every host cluster a compressed
     * cluster touches counts it once. As in qemu, compressed data must be smaller than a cluster
     * (the L2 entry's sector count cannot describe much more); data that did not shrink is
     * written uncompressed with {@link #write}.
     */
    public void writeCompressed(long guest, byte[] compressed, int length) throws IOException {
        checkRange(guest, clusterSize);
        if ((guest & (clusterSize - 1)) != 0) {
            throw new IllegalArgumentException("compressed write at " + hex(guest) + " is not cluster aligned");
        }
        if (length <= 0 || length >= clusterSize || length > compressed.length) {
            throw new IllegalArgumentException("compressed write of " + length + " bytes (of " + compressed.length
                    + ") for a " + clusterSize + "-byte cluster");
        }
        long[] t = tables.l2For(guest, true);
        int idx = tables.entryIndex(guest);
        if (L2Entry.type(t[idx], extendedL2, false).refersToHost()) {
            throw new IllegalStateException("compressed write to guest cluster " + hex(guest) + ", already allocated");
        }
        long start = refs.allocateBytes(length);
        Positional.writeFully(ch, ByteBuffer.wrap(compressed, 0, length), start);
        t[idx] = CompressedCluster.entry(start, length, clusterBits);
        if (extendedL2) {
            t[idx + 1] = 0;
        }
        tables.changed(guest);
        maybeFlush();
    }

    /** Makes the guest range read as zeros, with zero flags where whole (sub)clusters are covered. */
    public void writeZeroes(long offset, long length) throws IOException {
        checkRange(offset, length);
        long pos = offset;
        long end = offset + length;
        long unit = extendedL2 ? clusterSize >>> L2Entry.SUBCLUSTER_BITS : clusterSize;
        while (pos < end) {
            long inUnit = pos & (unit - 1);
            long n = Math.min(unit - inUnit, end - pos);
            if (inUnit == 0 && n == unit && zeroFlag) {
                zeroUnit(pos);
            } else {
                ByteBuffer zeros = ByteBuffer.allocate((int) n);
                writeInCluster(pos, zeros);
            }
            pos += n;
        }
        maybeFlush();
    }

    private void checkRange(long offset, long length) throws ImageException {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new ImageException(ErrorKind.USAGE, name, "write of " + length + " bytes at " + hex(offset)
                    + " is outside the virtual size (" + size + ")");
        }
    }

    /**
     * Writes guest data past the page cache where the file system allows it (see
     * {@link DirectData}): for a long run of writes, such as a flatten's or a commit's, that the
     * caller fsyncs at the end anyway. Only whole aligned blocks in suitably aligned direct
     * buffers go that way, into fresh cluster runs or over data clusters of their own (COPIED);
     * everything else, metadata and extended L2 subclusters included, is written as before. Clusters smaller than
     * the file system's block keep everything in the page cache: a direct write there could
     * share a block with metadata written through the page cache.
     *
     * @return whether direct writes are on
     */
    public boolean directData() throws IOException {
        if (direct == null) {
            DirectData d = DirectData.open(Path.of(name), ch, crc);
            if (d != null && clusterSize % d.alignment() != 0) {
                d.close();
                d = null;
            }
            direct = d;
        }
        return direct != null;
    }

    /** Up to {@code depth} direct writes in flight (flush waits for them); only where each cluster is written once. */
    public void writeBehind(int depth) {
        if (direct != null) {
            direct.writeBehind(depth);
        }
    }

    /** Full clusters to fresh host clusters: one allocation and one write for the whole run. */
    private void writeFresh(long pos, ByteBuffer data, int clusters) throws IOException {
        long host = refs.allocate(clusters);
        DirectData.write(direct, ch, data, host);
        tables.mapRun(pos, host, clusters);
    }

    /** Fills a fresh host run in the image file; see {@link #writeFreshBy}. */
    @FunctionalInterface
    public interface HostFill {
        /**
         * @return whether the run now holds the clusters' data; false (a clone the file system
         *         refused, say) gives the run back
         */
        boolean fill(long hostOffset, long length) throws IOException;
    }

    /**
     * Like a {@link #write} of {@code clusters} whole clusters from {@code guest} into clusters
     * that hold no host cluster yet, but the data gets into a new contiguous host run through
     * {@code fill} (which clones extents into it, say) instead of a write. The run lies past the
     * end of the file, so what {@code fill} leaves untouched reads as zeros; the run is counted and
     * the clusters are mapped to it only once {@code fill} says it filled it, and later
     * {@link #write}s to them go into the run. A {@code fill} that refuses or throws leaves the
     * image as it was: nothing mapped, nothing counted, and what it wrote past the end of the file
     * cut off, so the clusters can still be written the ordinary way. The data is a data
     * cluster's like any other for {@link #flush}'s order, so {@code fill} must write through the
     * same file, not another file that the image's forces do not cover, and must not call this
     * writer.
     *
     * @return whether the clusters are now mapped to the filled run
     */
    public boolean writeFreshBy(long guest, int clusters, HostFill fill) throws IOException {
        checkRange(guest, clusters * clusterSize);
        if ((guest & (clusterSize - 1)) != 0) {
            throw new IllegalArgumentException("write at " + hex(guest) + " is not cluster aligned");
        }
        for (int done = 0, n; done < clusters; done += n) {
            n = tables.unmappedRun(guest + done * clusterSize, clusters - done);
            if (n == 0) {
                throw new IllegalStateException("fresh write to guest cluster " + hex(guest + done * clusterSize)
                        + ", already allocated");
            }
        }
        if (direct != null) {
            direct.drain(); // writes in flight must land before the file's end is read or cut back
        }
        if (crc != null) {
            crc.lose(); // fill writes past this writer's channels
        }
        long host = refs.endOffset(); // where the run will be: allocation appends, nothing is allocated until fill is done
        long fileEnd = ch.size();
        boolean filled;
        try {
            filled = fill.fill(host, clusters * clusterSize);
        } catch (IOException | RuntimeException e) {
            try {
                ch.truncate(fileEnd);
            } catch (IOException t) {
                e.addSuppressed(t);
            }
            throw e;
        }
        if (!filled) {
            ch.truncate(fileEnd); // what fill left past the end belongs to no cluster
            return false;
        }
        if (refs.allocate(clusters) != host) {
            throw new IllegalStateException("fresh run allocated away from " + hex(host));
        }
        tables.mapRun(guest, host, clusters);
        maybeFlush();
        return true;
    }

    /** A write within one cluster (any part of it). */
    private void writeInCluster(long pos, ByteBuffer data) throws IOException {
        long clusterStart = pos & ~(clusterSize - 1);
        long[] t = tables.l2For(clusterStart, true);
        int idx = tables.entryIndex(clusterStart);
        long entry = t[idx];
        long host = L2Entry.offset(entry);
        if (L2Entry.type(entry, extendedL2, false) == L2Entry.Type.COMPRESSED) {
            ByteBuffer cluster = ByteBuffer.wrap(prior.decompress(entry, clusterStart));
            cluster.put((int) (pos - clusterStart), data, data.position(), data.remaining());
            long fresh = refs.allocate(1);
            Positional.writeFully(ch, cluster.clear(), fresh);
            CompressedCluster cc = CompressedCluster.of(entry, clusterBits);
            refs.freeLater(cc.offset(), cc.size());
            t[idx] = L2Entry.owned(fresh);
            if (extendedL2) {
                t[idx + 1] = L2Entry.L2_BITMAP_ALL_ALLOC;
            }
        } else if (!extendedL2) {
            writeStandard(pos, data, clusterStart, t, idx, entry, host);
        } else {
            writeExtended(pos, data, clusterStart, t, idx, entry, host);
        }
        tables.changed(clusterStart);
    }

    private void writeStandard(long pos, ByteBuffer data, long clusterStart, long[] t, int idx, long entry, long host)
            throws IOException {
        boolean zero = L2Entry.type(entry, false, false).zero();
        if (host != 0 && !zero) {
            requireCopied(entry, clusterStart);
            DirectData.write(direct, ch, data, host + (pos - clusterStart));
            return;
        }
        // A new cluster, or a preallocated zero one: the rest of it is zeros or the backing file's.
        ByteBuffer cluster = ByteBuffer.allocate((int) clusterSize);
        if (!zero) {
            prior.readBelow(clusterStart, cluster);
            cluster.clear();
        }
        cluster.put((int) (pos - clusterStart), data, data.position(), data.remaining());
        if (host == 0) {
            host = refs.allocate(1);
        } else {
            requireCopied(entry, clusterStart);
        }
        Positional.writeFully(ch, cluster.clear(), host);
        t[idx] = L2Entry.owned(host);
    }

    private void writeExtended(long pos, ByteBuffer data, long clusterStart, long[] t, int idx, long entry, long host)
            throws IOException {
        long bitmap = t[idx + 1];
        if (host == 0) {
            host = refs.allocate(1);
            entry = L2Entry.owned(host);
            bitmap &= L2Entry.L2_BITMAP_ALL_ZERO; // zero subclusters stay zero in the new cluster
        } else {
            requireCopied(entry, clusterStart);
        }
        long sub = clusterSize >>> L2Entry.SUBCLUSTER_BITS;
        long end = pos + data.remaining();
        long p = pos;
        while (p < end) {
            int sc = (int) ((p - clusterStart) / sub);
            long subStart = clusterStart + sc * sub;
            int n = (int) Math.min(subStart + sub - p, end - p);
            ByteBuffer piece = data.slice((int) (p - pos), n);
            boolean allocated = L2Entry.subclusterAllocated(bitmap, sc);
            if (allocated || n == sub) {
                Positional.writeFully(ch, piece, host + (p - clusterStart));
            } else {
                ByteBuffer whole = ByteBuffer.allocate((int) sub);
                if (!L2Entry.subclusterZero(bitmap, sc)) {
                    prior.readBelow(subStart, whole);
                    whole.clear();
                }
                whole.put((int) (p - subStart), piece, piece.position(), piece.remaining());
                Positional.writeFully(ch, whole.clear(), host + (subStart - clusterStart));
            }
            bitmap = L2Entry.allocateSubcluster(bitmap, sc);
            p += n;
        }
        t[idx] = entry;
        t[idx + 1] = bitmap;
    }

    /** Sets the zero flag on one whole cluster (or subcluster with extended L2). */
    private void zeroUnit(long pos) throws IOException {
        long clusterStart = pos & ~(clusterSize - 1);
        long[] t = tables.l2For(clusterStart, true);
        int idx = tables.entryIndex(clusterStart);
        long entry = t[idx];
        long sub = clusterSize >>> L2Entry.SUBCLUSTER_BITS;
        int sc = (int) ((pos - clusterStart) / sub);
        if (L2Entry.type(entry, extendedL2, false) == L2Entry.Type.COMPRESSED) {
            CompressedCluster cc = CompressedCluster.of(entry, clusterBits);
            if (extendedL2) {
                // Only part of a compressed cluster turns zero: decompress the rest into a normal cluster.
                writeInCluster(pos, ByteBuffer.allocate((int) sub));
                long[] t2 = tables.l2For(clusterStart, true);
                t2[idx + 1] = L2Entry.zeroSubcluster(t2[idx + 1], sc);
                return;
            }
            refs.freeLater(cc.offset(), cc.size());
            t[idx] = L2Entry.zero(0); // the compressed bytes go, no cluster stays
        } else if (!extendedL2) {
            // Keep an allocated cluster allocated (preallocated zero), as qemu's write -z does.
            t[idx] = L2Entry.zero(L2Entry.offset(entry));
        } else {
            t[idx + 1] = L2Entry.zeroSubcluster(t[idx + 1], sc);
        }
        tables.changed(clusterStart);
    }

    private void requireCopied(long entry, long guest) throws ImageException {
        if (!L2Entry.copied(entry)) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "cluster for guest offset " + hex(guest)
                    + " is shared (COPIED flag clear); virtchain does not write to shared clusters");
        }
    }

    /** Grows the virtual size to {@code newSize} (never shrinks); the new range reads as zeros. */
    public void grow(long newSize) throws IOException {
        if (newSize <= size) {
            return;
        }
        long needed = Qcow2Header.l1EntriesFor(newSize, clusterBits, extendedL2);
        if (needed * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw CreateOptions.tooLarge(name, newSize, clusterBits, extendedL2);
        }
        if (needed > tables.l1Entries()) {
            tables.growL1((int) needed);
        }
        size = newSize;
        headerDirty = true;
    }

    private void maybeFlush() throws IOException {
        if (tables.fullOfChanges()) {
            flush();
        }
        tables.trim();
    }

    /** Makes everything written so far durable, in the crash-safe order described above. */
    public void flush() throws IOException {
        // (1) Data went out as it was written (direct writes still in flight land first); now the
        // refcounts that count it and the new metadata.
        if (direct != null) {
            direct.drain();
        }
        refs.writeDirty();
        ch.force(false);
        // (2) A moved refcount table becomes the image's only once it is complete on disk.
        if (refs.tableMoved()) {
            HeaderEncoder.update(ch, HeaderField.REFCOUNT_TABLE_OFFSET, refs.tableOffset(), refs.tableClusters());
            ch.force(false);
            refs.tableCommitted();
        }
        // (3) L2 tables may now point at clusters whose refcounts are durable.
        tables.writeL2Tables();
        ch.force(false);
        // (4) The L1 table and header switch to the new state.
        boolean l1Moved = tables.writeL1Entries();
        if (l1Moved || headerDirty) {
            HeaderEncoder.update(ch, HeaderField.SIZE, size);
            HeaderEncoder.update(ch, HeaderField.L1_SIZE, tables.l1Entries(), tables.l1Offset());
        }
        headerDirty = false;
        ch.force(false);
        // (5) Only now may clusters nothing refers to any more lose their refcount.
        if (refs.hasPendingFrees()) {
            refs.applyFrees();
            refs.writeDirty();
            ch.force(false);
        }
    }

    @Override
    public void close() throws IOException {
        try (FileChannel c = ch; PriorContent p = prior; DirectData d = direct) {
            flush();
        }
    }

}
