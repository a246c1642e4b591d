package dev.virtchain.qcow2.check;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.format.Bitmap;
import dev.virtchain.qcow2.format.CompressedCluster;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.MetadataTables;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.RefcountBlock;
import dev.virtchain.qcow2.format.Snapshot;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.read.OnDiskRefcounts;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Consumer;

/**
 * A read-only consistency check of one qcow2 file with the semantics of qemu-img check
 * (qemu's qcow2_check_refcounts): count every reference to every cluster from the header, the
 * L1 and L2 tables of the active layer and of every snapshot, the snapshot table, the refcount
 * structures and the persistent bitmaps; compare with the recorded refcounts; then check the
 * COPIED flags of the active tables. Each problem is reported as one line, worded as qemu
 * words it, while the check runs.
 */
public final class Qcow2Check {
    /** Bitmap table entries: offset bits, reserved bits, and bit 0 (all ones when no cluster). */
    static final long BME_TABLE_OFFSET_MASK = 0x00fffffffffffe00L;
    static final long BME_TABLE_RESERVED_MASK = 0xff000000000001feL;
    static final int BME_RESERVED_FLAGS = ~(Bitmap.FLAG_IN_USE | Bitmap.FLAG_AUTO);
    static final int BME_TYPE_DIRTY_TRACKING = 1;
    /** qemu's BME_MAX_PHYS_SIZE: bitmap data of at most 512 MiB. */
    static final long BME_MAX_PHYS_SIZE = 0x20000000L;

    private final ImageFile file;
    private final Qcow2Header h;
    private final Qcow2Image image;
    private final Consumer<String> report;
    private final int cb;
    private final long cs;
    private final long fileSize;
    private final boolean dataFile;
    private OnDiskRefcounts onDisk;
    private ExpectedRefcounts expected;

    private long checkErrors;
    private long corruptions;
    private long leaks;
    private Leaks leakSink = (cluster, excess) -> { };
    private long allocated;
    private long fragmented;
    private long compressed;
    private boolean corruptionSignalled;

    private Qcow2Check(Qcow2Image image, Consumer<String> report) {
        this.image = image;
        this.file = image.file();
        this.h = image.header();
        this.report = report;
        this.cb = h.clusterBits();
        this.cs = h.clusterSize();
        this.fileSize = file.size();
        this.dataFile = h.hasDataFile();
    }

    /**
     * Checks {@code image} (its own file only, not its backing chain).
     *
     * @param problems receives one line per problem found, as qemu-img prints them on stderr
     */
    public static CheckResult check(Qcow2Image image, Consumer<String> problems) throws IOException {
        return check(image, problems, (cluster, excess) -> { });
    }

    /** What a check found leaked: cluster {@code cluster} is counted {@code excess} times more than it is referenced. */
    @FunctionalInterface
    public interface Leaks {
        void leaked(long cluster, long excess);
    }

    /** As {@link #check(Qcow2Image, Consumer)}, telling {@code leaks} each leaked cluster as well. */
    public static CheckResult check(Qcow2Image image, Consumer<String> problems, Leaks leaks) throws IOException {
        Qcow2Check c = new Qcow2Check(image, problems);
        c.leakSink = leaks;
        return c.run();
    }

    private CheckResult run() throws IOException {
        long totalClusters = ceilClusters(image.virtualSize());
        long nbClusters = ceilClusters(fileSize);
        if (nbClusters > Integer.MAX_VALUE) {
            checkErrors++;
            return result(totalClusters, 0, "File too large");
        }
        onDisk = new OnDiskRefcounts(file, h);
        expected = new ExpectedRefcounts(file.name(), nbClusters, onDisk.max());
        try {
            countReferences();
        } catch (CheckFailed e) {
            return result(totalClusters, 0, e.getMessage());
        }
        long highest = compareRefcounts();
        checkCopiedFlags();
        return result(totalClusters, (highest + 1) * cs, null);
    }

    private CheckResult result(long totalClusters, long endOffset, String failure) {
        return new CheckResult(checkErrors, corruptions, leaks, totalClusters, allocated, fragmented, compressed,
                endOffset, failure);
    }

    private long ceilClusters(long bytes) {
        return (bytes + cs - 1) >>> cb;
    }

    /** qemu's calculate_refcounts: every reference the metadata makes, in qemu's order. */
    private void countReferences() throws IOException, CheckFailed {
        reference(0, cs); // the header cluster
        checkL1(h.l1TableOffset(), h.l1Size(), true);

        List<Snapshot> snapshots = image.snapshots();
        if (dataFile && !snapshots.isEmpty()) {
            corruption("ERROR " + snapshots.size() + " snapshots in image with data file");
        }
        for (Snapshot sn : snapshots) {
            long l1Entries = Integer.toUnsignedLong(sn.l1Size());
            // qemu prints the id and name raw; a name may hold any byte, so ours are escaped.
            String which = "ERROR snapshot " + Names.escape(sn.id()) + " (" + Names.escape(sn.name()) + ")";
            if ((sn.l1TableOffset() & (cs - 1)) != 0) {
                corruption(which + " l1_offset=" + cHex(sn.l1TableOffset())
                        + ": L1 table is not cluster aligned; snapshot table entry corrupted");
                continue;
            }
            if (l1Entries > Qcow2Header.MAX_L1_BYTES / 8) {
                corruption(which + " l1_size=" + cHex(l1Entries)
                        + ": L1 table is too large; snapshot table entry corrupted");
                continue;
            }
            checkL1(sn.l1TableOffset(), (int) l1Entries, false);
        }
        reference(h.snapshotsOffset(), image.snapshotTableBytes());
        reference(h.refcountTableOffset(), (long) onDisk.table().length * 8);
        checkBitmaps();
        checkRefcountBlocks();
    }

    /** Adds a reference to every cluster of [offset, offset + size); qemu's qcow2_inc_refcounts_imrt. */
    private void reference(long offset, long size) throws ImageException {
        if (size <= 0) {
            return;
        }
        // The last cluster may be partly past the end of the file; a whole cluster past it may not.
        if (offset < 0 || offset - fileSize >= cs || size >= fileSize - offset + cs) {
            corruption("ERROR: counting reference for region exceeding the end of the file by one cluster or more: "
                    + "offset " + "0x" + Long.toHexString(offset) + " size 0x" + Long.toHexString(size));
            return;
        }
        long last = (offset + size - 1) >>> cb;
        for (long k = offset >>> cb; k <= last; k++) {
            if (!expected.increment(k)) {
                corruption("ERROR: overflow cluster offset=0x" + Long.toHexString(k << cb));
                report.accept("Use qemu-img amend to increase the refcount entry width or qemu-img convert to create "
                        + "a clean copy if the image cannot be opened for writing");
            }
        }
    }

    /** An L1 table and everything it references; qemu's check_refcounts_l1. */
    private void checkL1(long offset, int entries, boolean active) throws IOException {
        if (entries == 0) {
            return;
        }
        reference(offset, (long) entries * 8);
        long[] l1 = readTable(offset, entries);
        for (long entry : l1) {
            if (entry == 0) {
                continue;
            }
            if ((entry & L2Entry.L1E_RESERVED_MASK) != 0) {
                corruption("ERROR found L1 entry with reserved bits set: " + Long.toHexString(entry));
            }
            long l2Offset = L2Entry.l2Table(entry);
            reference(l2Offset, cs);
            if ((l2Offset & (cs - 1)) != 0) {
                corruption("ERROR l2_offset=" + Long.toHexString(l2Offset)
                        + ": Table is not cluster aligned; L1 entry corrupted");
            }
            checkL2(l2Offset, active);
        }
    }

    /** The clusters one L2 table references; qemu's check_refcounts_l2. */
    private void checkL2(long l2Offset, boolean active) throws IOException {
        boolean ext = h.extendedL2();
        long[] l2 = readTable(l2Offset, (int) (cs / 8));
        int n = L2Entry.count(l2, ext);
        long nextContiguous = 0;
        for (int i = 0; i < n; i++) {
            long entry = L2Entry.entry(l2, i, ext);
            long bitmap = L2Entry.bitmap(l2, i, ext);
            L2Entry.Type type = L2Entry.type(entry, ext, dataFile);
            if (type != L2Entry.Type.COMPRESSED && (entry & L2Entry.L2E_STD_RESERVED_MASK) != 0) {
                corruption("ERROR found l2 entry with reserved bits set: " + Long.toHexString(entry));
            }
            switch (type) {
                case COMPRESSED -> {
                    if (L2Entry.copied(entry)) {
                        CompressedCluster c = CompressedCluster.of(entry, cb);
                        corruption("ERROR: coffset=0x" + Long.toHexString(c.offset())
                                + ": copied flag must never be set for compressed clusters");
                        entry &= ~L2Entry.OFLAG_COPIED;
                    }
                    if (dataFile) {
                        corruption("ERROR compressed cluster " + i + " with data file, entry=0x" + Long.toHexString(entry));
                        break;
                    }
                    if (bitmap != 0) {
                        corruption("ERROR compressed cluster " + i + " with non-zero subcluster allocation bitmap, entry=0x"
                                + Long.toHexString(entry));
                        break;
                    }
                    CompressedCluster c = CompressedCluster.of(entry, cb);
                    reference(c.offset(), c.size());
                    if (active) {
                        allocated++;
                        compressed++;
                        fragmented++; // qemu counts every compressed cluster as fragmented
                    }
                }
                case NORMAL, ZERO_ALLOC -> {
                    long offset = L2Entry.offset(entry);
                    if (L2Entry.allocatedAndZero(bitmap)) {
                        corruption("ERROR offset=" + Long.toHexString(offset)
                                + ": Allocated cluster has corrupted subcluster allocation bitmap");
                    }
                    if ((offset & (cs - 1)) != 0) {
                        boolean containsData = ext ? L2Entry.anyAllocated(bitmap) : type == L2Entry.Type.NORMAL;
                        corruption(containsData
                                ? "ERROR offset=" + Long.toHexString(offset)
                                        + ": Data cluster is not properly aligned; L2 entry corrupted."
                                : "ERROR offset=" + Long.toHexString(offset)
                                        + ": Preallocated cluster is not properly aligned; L2 entry corrupted.");
                    }
                    if (active) {
                        allocated++;
                        if (nextContiguous != 0 && offset != nextContiguous) {
                            fragmented++;
                        }
                        nextContiguous = offset + cs;
                    }
                    if (!dataFile) {
                        reference(offset, cs);
                    }
                }
                case UNALLOCATED -> {
                    if (L2Entry.anyAllocated(bitmap)) {
                        corruption("ERROR: Unallocated cluster has non-zero subcluster allocation map");
                    }
                }
                case ZERO_PLAIN -> {
                    // holds no cluster
                }
            }
        }
    }

    /** qemu's qcow2_check_bitmaps_refcounts. */
    private void checkBitmaps() throws IOException, CheckFailed {
        if (!h.bitmapsValid() || h.bitmaps().count() == 0) {
            return;
        }
        reference(h.bitmaps().directoryOffset(), h.bitmaps().directorySize());
        for (Bitmap bm : image.bitmaps()) {
            if (!bitmapEntryValid(bm)) {
                corruptions++;
                throw new CheckFailed("Invalid argument");
            }
        }
        for (Bitmap bm : image.bitmaps()) {
            long entries = Integer.toUnsignedLong(bm.tableSize());
            reference(bm.tableOffset(), entries * 8);
            long[] table = readTable(bm.tableOffset(), (int) entries);
            for (long entry : table) {
                if (!bitmapTableEntryValid(entry)) {
                    corruptions++; // qemu refuses the whole table
                    throw new CheckFailed("Invalid argument");
                }
            }
            for (long entry : table) {
                long offset = entry & BME_TABLE_OFFSET_MASK;
                if (offset != 0) {
                    reference(offset, cs);
                }
            }
        }
    }

    private boolean bitmapEntryValid(Bitmap bm) {
        long size = Integer.toUnsignedLong(bm.tableSize());
        if (size == 0 || bm.tableOffset() == 0 || (bm.tableOffset() & (cs - 1)) != 0
                || size > MetadataTables.MAX_BITMAP_TABLE_ENTRIES || (bm.flags() & BME_RESERVED_FLAGS) != 0
                || bm.type() != BME_TYPE_DIRTY_TRACKING) {
            return false;
        }
        long physBytes = size * cs;
        if (physBytes > BME_MAX_PHYS_SIZE) {
            return false;
        }
        // The bitmap must cover the whole disk: physBytes * 8 bits of one granule each.
        int shift = 3 + bm.granularityBits();
        long covered = Long.numberOfLeadingZeros(physBytes) <= shift ? Long.MAX_VALUE : physBytes << shift;
        return image.virtualSize() <= covered;
    }

    private boolean bitmapTableEntryValid(long entry) {
        if ((entry & BME_TABLE_RESERVED_MASK) != 0) {
            return false;
        }
        long offset = entry & BME_TABLE_OFFSET_MASK;
        // With a cluster, bit 0 (all ones) is reserved and the offset must be cluster aligned.
        return offset == 0 || ((entry & 1) == 0 && (offset & (cs - 1)) == 0);
    }

    /** qemu's check_refblocks: every refcount table entry points at one aligned block inside the image. */
    private void checkRefcountBlocks() throws ImageException {
        long[] table = onDisk.table();
        for (int i = 0; i < table.length; i++) {
            long offset = table[i] & RefcountBlock.REFT_OFFSET_MASK;
            long cluster = offset >>> cb;
            if ((table[i] & RefcountBlock.REFT_RESERVED_MASK) != 0) {
                corruption("ERROR refcount table entry " + i + " has reserved bits set");
                continue;
            }
            if ((offset & (cs - 1)) != 0) {
                corruption("ERROR refcount block " + i + " is not cluster aligned; refcount table entry corrupted");
                continue;
            }
            if (Long.compareUnsigned(cluster, expected.size()) >= 0) {
                corruption("ERROR refcount block " + i + " is outside image");
                continue;
            }
            if (offset != 0) {
                reference(offset, cs);
                long refs = expected.get(cluster);
                if (refs != 1) {
                    corruption("ERROR refcount block " + i + " refcount=" + Long.toUnsignedString(refs));
                }
            }
        }
    }

    /** qemu's compare_refcounts: recorded against expected, cluster by cluster. Returns the highest cluster in use. */
    private long compareRefcounts() throws IOException {
        long highest = 0;
        long clusters = expected.size();
        long perBlock = onDisk.clustersPerBlock();
        for (long start = 0; start < clusters; start += perBlock) {
            long end = Math.min(clusters, start + perBlock);
            if (onDisk.blockOffset(start) == 0 && expected.noneIn(start, end)) {
                continue; // nothing recorded, nothing referenced
            }
            if (onDisk.unaligned(start)) {
                signalUnalignedBlock(start);
                for (long i = start; i < end; i++) {
                    report.accept("Can't get refcount for cluster " + i + ": Input/output error");
                    checkErrors++;
                }
                continue;
            }
            for (long i = start; i < end; i++) {
                long recorded = onDisk.get(i);
                long refs = expected.get(i);
                if (recorded != 0 || refs != 0) {
                    highest = i;
                }
                if (recorded != refs) {
                    boolean less = Long.compareUnsigned(recorded, refs) < 0;
                    report.accept((less ? "ERROR" : "Leaked") + " cluster " + i + " refcount="
                            + Long.toUnsignedString(recorded) + " reference=" + Long.toUnsignedString(refs));
                    if (less) {
                        corruptions++;
                    } else {
                        leaks++;
                        leakSink.leaked(i, recorded - refs);
                    }
                }
            }
        }
        return highest;
    }

    private void signalUnalignedBlock(long cluster) {
        if (corruptionSignalled) {
            return;
        }
        corruptionSignalled = true;
        long index = cluster / onDisk.clustersPerBlock();
        report.accept("qcow2: Image is corrupt: Refblock offset " + cHex(onDisk.blockOffset(cluster))
                + " unaligned (reftable index: " + cHex(index)
                + "); further non-fatal corruption events will be suppressed");
    }

    /** qemu's check_oflag_copied: COPIED is set in active L1 and L2 entries exactly when the refcount is 1. */
    private void checkCopiedFlags() throws IOException {
        boolean ext = h.extendedL2();
        long[] l1 = readTable(h.l1TableOffset(), h.l1Size());
        for (int i = 0; i < l1.length; i++) {
            long l1Entry = l1[i];
            long l2Offset = L2Entry.l2Table(l1Entry);
            if (l2Offset == 0) {
                continue;
            }
            long l2Cluster = l2Offset >>> cb;
            if (onDisk.unaligned(l2Cluster)) {
                continue; // already reported by the comparison
            }
            long refcount = onDisk.get(l2Cluster);
            if ((refcount == 1) != L2Entry.copied(l1Entry)) {
                corruption("ERROR OFLAG_COPIED L2 cluster: l1_index=" + i + " l1_entry=" + Long.toHexString(l1Entry)
                        + " refcount=" + Long.toUnsignedString(refcount));
            }
            long[] l2 = readTable(l2Offset, (int) (cs / 8));
            int n = L2Entry.count(l2, ext);
            for (int j = 0; j < n; j++) {
                long entry = L2Entry.entry(l2, j, ext);
                L2Entry.Type type = L2Entry.type(entry, ext, dataFile);
                if (type != L2Entry.Type.NORMAL && type != L2Entry.Type.ZERO_ALLOC) {
                    continue;
                }
                long dataCluster = L2Entry.offset(entry) >>> cb;
                long rc;
                if (dataFile) {
                    rc = 1; // clusters of an external data file are never shared
                } else if (onDisk.unaligned(dataCluster)) {
                    continue;
                } else {
                    rc = onDisk.get(dataCluster);
                }
                if ((rc == 1) != L2Entry.copied(entry)) {
                    corruption("ERROR OFLAG_COPIED data cluster: l2_entry=" + Long.toHexString(entry) + " refcount="
                            + Long.toUnsignedString(rc));
                }
            }
        }
    }

    /**
     * Reads {@code entries} big-endian 64-bit entries at {@code offset}; bytes past the end of the
     * file read as zero, as qemu reads them. Callers bound {@code entries} (L1 tables to 4 Mi, L2
     * tables to one cluster, bitmap tables by their 512 MiB limit).
     */
    private long[] readTable(long offset, int entries) throws IOException {
        long[] out = new long[entries];
        if (offset < 0 || offset >= fileSize || entries == 0) {
            return out;
        }
        int inFile = (int) Math.min(entries, (fileSize - offset + 7) / 8);
        ByteBuffer b = ByteBuffer.allocate(inFile * 8).order(ByteOrder.BIG_ENDIAN);
        file.readZeroPadded(offset, b);
        b.flip().asLongBuffer().get(out, 0, inFile);
        return out;
    }

    private void corruption(String line) {
        corruptions++;
        report.accept(line);
    }

    /** C's {@code %#x}: no prefix for zero. */
    private static String cHex(long v) {
        return v == 0 ? "0" : "0x" + Long.toHexString(v);
    }

    /** qemu's negative return from the check: it stops, and qemu-img prints "Check failed: REASON". */
    private static final class CheckFailed extends Exception {
        private static final long serialVersionUID = 1L;

        CheckFailed(String reason) {
            super(reason, null, false, false);
        }
    }
}
