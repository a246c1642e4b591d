package dev.virtchain.qcow2.read;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.format.Bitmap;
import dev.virtchain.qcow2.format.CompressedCluster;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.MetadataTables;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.Snapshot;
import dev.virtchain.qcow2.format.SubclusterKind;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.io.Zeros;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A qcow2 layer opened for reading. Guest offsets map through the L1 table and L2 tables
 * (standard or extended) to clusters of the image file, or of its external data file.
 */
public final class Qcow2Image implements Image {
    /** Memory the L2 cache may hold, whatever the cluster size. */
    private static final long L2_CACHE_BYTES = 32L << 20;

    /**
     * A run of guest bytes mapped the same way. {@code host} is the host offset of the first
     * byte for kinds with a host cluster, the raw L2 entry for {@link SubclusterKind#COMPRESSED} (whose
     * run never leaves its cluster), else -1.
     */
    public record Run(SubclusterKind kind, long length, long host) {
    }

    private final String name;
    private final ImageFile file;
    private final ImageFile dataFile;
    private final Qcow2Header header;
    private final long[] l1;
    private final List<Snapshot> snapshots;
    private final long snapshotTableBytes;
    private final List<Bitmap> bitmaps;
    private final Image backing;
    private final PastEnd pastEnd;
    private final L2Cache l2Cache;
    private final long virtualSize;
    private Decompressor decompressor;
    private long cachedCompressedEntry = -1;
    private byte[] cachedCluster;
    private Boolean metadataPreallocated;
    private NativeFiles.Holes dataHoles;

    Qcow2Image(ImageFile file, Qcow2Header header, ImageFile dataFile, Image backing, PastEnd pastEnd)
            throws IOException {
        this.name = file.name();
        this.pastEnd = pastEnd;
        this.file = file;
        this.header = header;
        this.dataFile = dataFile != null ? dataFile : file;
        this.backing = backing;
        // qemu counts the size in whole sectors and drops a partial last one.
        this.virtualSize = header.size() & ~511L;
        this.l1 = readL1(file, header);
        MetadataTables.SnapshotTable table = MetadataTables.snapshots(file, header);
        this.snapshots = table.entries();
        this.snapshotTableBytes = table.bytes();
        this.bitmaps = MetadataTables.bitmaps(file, header);
        this.l2Cache = new L2Cache((int) Math.max(4, L2_CACHE_BYTES / header.clusterSize()));
    }

    private static long[] readL1(ImageFile f, Qcow2Header h) throws IOException {
        int n = h.l1Size(); // validated: at most 4 Mi entries, within the file
        long[] l1 = new long[n];
        if (n > 0) {
            f.read("l1 table", h.l1TableOffset(), n * 8).asLongBuffer().get(l1);
        }
        return l1;
    }

    public Qcow2Header header() {
        return header;
    }

    public List<Snapshot> snapshots() {
        return snapshots;
    }

    /** The snapshot table's length in bytes, as qemu counts it (for the checker). */
    public long snapshotTableBytes() {
        return snapshotTableBytes;
    }

    public List<Bitmap> bitmaps() {
        return bitmaps;
    }

    /** The external data file's path, or null when data lives in the image file. */
    public Path dataFilePath() {
        return dataFile == file ? null : dataFile.path();
    }

    @Override
    public String dataFilename() {
        return dataFile.name();
    }

    long fileSize() {
        return file.size();
    }

    /** The image file itself (not the data file), for the checker. */
    public ImageFile file() {
        return file;
    }

    @Override
    public String filename() {
        return name;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public String format() {
        return "qcow2";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    @Override
    public Image backing() {
        return backing;
    }

    @Override
    public long allocatedBytes() {
        return file.allocatedBytes();
    }

    /**
     * The mapping of the guest bytes from {@code offset}, at most {@code max} of them and never past one L2 table.
     * Synchronized for the L2 cache: concurrent reads share the lookups, not the data reads.
     */
    public synchronized Run lookup(long offset, long max) throws IOException {
        int cb = header.clusterBits();
        long cs = 1L << cb;
        int l2Bits = header.l2Bits();
        long l2Entries = 1L << l2Bits;
        long cluster = offset >>> cb;
        long l1Index = cluster >>> l2Bits;
        long toTableEnd = ((l2Entries - (cluster & (l2Entries - 1))) << cb) - (offset & (cs - 1));
        max = Math.min(max, toTableEnd);
        if (l1Index >= l1.length) {
            return new Run(SubclusterKind.UNALLOCATED_PLAIN, max, -1);
        }
        long l2Offset = L2Entry.l2Table(l1[(int) l1Index]);
        if (l2Offset == 0) {
            return new Run(SubclusterKind.UNALLOCATED_PLAIN, max, -1);
        }
        if ((l2Offset & (cs - 1)) != 0) {
            throw new ImageException(ErrorKind.CORRUPT, name, "l1 entry " + l1Index + " points to l2 table at "
                    + hex(l2Offset) + ", which is not cluster aligned");
        }
        long[] l2 = l2Table(l2Offset, l1Index);
        boolean ext = header.extendedL2();
        int scBits = ext ? cb - L2Entry.SUBCLUSTER_BITS : cb;
        long scSize = 1L << scBits;

        SubclusterKind kind = null;
        long firstHost = -1;
        long len = 0;
        long pos = offset;
        while (len < max) {
            int index = (int) ((pos >>> cb) & (l2Entries - 1));
            long entry = L2Entry.entry(l2, index, ext);
            long bitmap = L2Entry.bitmap(l2, index, ext);
            int sc = ext ? (int) ((pos >>> scBits) & 31) : 0;
            SubclusterKind k = classify(entry, bitmap, sc, l2Offset, index);
            long host = -1;
            if (k.hasHostCluster()) {
                long hostCluster = L2Entry.offset(entry);
                if ((hostCluster & (cs - 1)) != 0) {
                    throw new ImageException(ErrorKind.CORRUPT, name, "l2 entry " + index + " of table at "
                            + hex(l2Offset)
                            + " points to cluster " + hex(hostCluster) + ", which is not cluster aligned");
                }
                if (dataFile != file && header.dataFileRaw() && hostCluster != (pos & ~(cs - 1))) {
                    throw new ImageException(ErrorKind.CORRUPT, name, "l2 entry " + index + " of table at "
                            + hex(l2Offset) + " maps guest cluster " + hex(pos & ~(cs - 1)) + " to " + hex(hostCluster)
                            + " of a raw data file");
                }
                host = hostCluster + (pos & (cs - 1));
            } else if (k == SubclusterKind.COMPRESSED) {
                host = entry;
            }
            if (kind == null) {
                kind = k;
                firstHost = host;
            } else if (k != kind
                    || (k.hasHostCluster() && host != firstHost + len)
                    || (k == SubclusterKind.COMPRESSED && (pos & (cs - 1)) == 0)) {
                // A compressed run is one cluster, as in qemu: the next entry may name the same
                // compressed data, but that is a second decompressed cluster, not more of this one.
                break;
            }
            long chunk = Math.min(scSize - (pos & (scSize - 1)), max - len);
            len += chunk;
            pos += chunk;
        }
        return new Run(kind, len, firstHost);
    }

    private SubclusterKind classify(long entry, long bitmap, int sc, long l2Offset, int index) throws ImageException {
        L2Entry.Type type = L2Entry.type(entry, header.extendedL2(), dataFile != file);
        if (type == L2Entry.Type.COMPRESSED && dataFile != file) {
            throw new ImageException(ErrorKind.CORRUPT, name, "l2 entry " + index + " of table at " + hex(l2Offset)
                    + " is compressed, which an image with an external data file cannot hold");
        }
        SubclusterKind kind = SubclusterKind.of(type, bitmap, sc, header.extendedL2());
        if (kind == null) {
            throw new ImageException(ErrorKind.CORRUPT, name, "l2 entry " + index + " of table at " + hex(l2Offset)
                    + (type == L2Entry.Type.NORMAL ? " has subclusters marked both allocated and zero"
                            : " has allocated subclusters but no cluster") + " (bitmap " + hex(bitmap) + ")");
        }
        return kind;
    }

    private long[] l2Table(long l2Offset, long l1Index) throws IOException {
        long[] table = l2Cache.get(l2Offset);
        if (table == null) {
            int cs = (int) header.clusterSize();
            if (l2Offset + cs > file.size()) {
                throw new ImageException(ErrorKind.CORRUPT, name, "l2 table at " + hex(l2Offset) + " (l1 entry "
                        + l1Index + ") lies past end of file (" + hex(file.size()) + ")");
            }
            table = new long[cs / 8];
            file.read("l2 table", l2Offset, cs).asLongBuffer().get(table);
            l2Cache.put(l2Offset, table);
        }
        return table;
    }

    @Override
    public void preferDirectReads() {
        dataFile.preferDirectReads();
        if (backing != null) {
            backing.preferDirectReads();
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining() && pos < virtualSize) {
            Run run = lookup(pos, Math.min(dst.remaining(), virtualSize - pos));
            int n = (int) run.length();
            ByteBuffer part = dst.slice(dst.position(), n);
            switch (run.kind()) {
                case NORMAL -> readData(pos, run.host(), part);
                case ZERO_PLAIN, ZERO_ALLOC -> Zeros.fill(part);
                case UNALLOCATED_PLAIN, UNALLOCATED_ALLOC -> Images.readBelow(backing, pos, part);
                case COMPRESSED -> readCompressed(run.host(), pos, part);
            }
            dst.position(dst.position() + n);
            pos += n;
        }
        Zeros.fill(dst);
    }

    /** Reads data clusters; what lies past the end of the data file is {@link #pastEnd}'s to judge. */
    private void readData(long guest, long host, ByteBuffer part) throws IOException {
        long size = dataFile.size();
        if (host + part.remaining() > size) {
            long inFile = Math.max(0, size - host);
            pastEnd.found(dataFile.name(), guest + inFile, host + inFile, part.remaining() - inFile, size);
        }
        dataFile.readZeroPadded(host, part); // as qemu: the part past the end reads as zeros
    }

    /**
     * Walks this layer's L2 tables (metadata only, no data read) and hands every data run that
     * reaches past the end of its data file to {@code pastEnd}: what a read of the whole guest
     * would meet, found without reading it.
     */
    public void checkDataBounds(PastEnd pastEnd) throws IOException {
        long size = dataFile.size();
        for (long pos = 0; pos < virtualSize; ) {
            Run run = lookup(pos, virtualSize - pos);
            if (run.kind() == SubclusterKind.NORMAL && run.host() + run.length() > size) {
                long inFile = Math.max(0, size - run.host());
                pastEnd.found(dataFile.name(), pos + inFile, run.host() + inFile, run.length() - inFile, size);
            }
            pos += run.length();
        }
    }

    private synchronized void readCompressed(long entry, long pos, ByteBuffer part) throws IOException {
        if (cachedCluster == null || entry != cachedCompressedEntry) { // -1 is a valid (hostile) entry too
            cachedCluster = decompressCluster(entry, pos);
            cachedCompressedEntry = entry;
        }
        int inCluster = (int) (pos & (header.clusterSize() - 1));
        part.put(cachedCluster, inCluster, part.remaining());
    }

    /** Inflates the compressed cluster that {@code entry} describes. */
    byte[] decompressCluster(long entry, long guestOffset) throws IOException {
        CompressedCluster c = CompressedCluster.of(entry, header.clusterBits());
        if (c.offset() >= file.size()) {
            throw new ImageException(ErrorKind.CORRUPT, name, "compressed cluster for guest offset "
                    + hex(guestOffset) + " at "
                    + hex(c.offset()) + " lies past end of file (" + hex(file.size()) + ")");
        }
        // qemu reads whole sectors; the last compressed cluster may end before the last sector does.
        ByteBuffer src = ByteBuffer.allocate(c.size());
        file.readZeroPadded(c.offset(), src);
        byte[] out = new byte[(int) header.clusterSize()];
        if (decompressor == null) {
            decompressor = new Decompressor(header.compressionType());
        }
        String problem = decompressor.decompress(src.array(), c.size(), out);
        if (problem != null) {
            throw new ImageException(ErrorKind.CORRUPT, name, "compressed cluster for guest offset "
                    + hex(guestOffset) + " at " + hex(c.offset()) + ": " + problem);
        }
        return out;
    }

    @Override
    public LayerStatus status(long offset, long length) throws IOException {
        Run run = lookup(offset, length);
        return switch (run.kind()) {
            case NORMAL -> metadataPreallocated() ? throughDataFile(run) : new LayerStatus(run.length(), true, false, run.host());
            case ZERO_ALLOC -> new LayerStatus(run.length(), false, true, run.host());
            case ZERO_PLAIN -> new LayerStatus(run.length(), false, true, LayerStatus.NO_OFFSET);
            case UNALLOCATED_ALLOC -> new LayerStatus(run.length(), false, false, run.host());
            case UNALLOCATED_PLAIN -> new LayerStatus(run.length(), false, false, LayerStatus.NO_OFFSET);
            case COMPRESSED -> new LayerStatus(run.length(), true, false, LayerStatus.NO_OFFSET);
        };
    }

    private boolean metadataPreallocated() {
        if (metadataPreallocated == null) {
            metadataPreallocated = MetadataPreallocation.detect(file, header);
        }
        return metadataPreallocated;
    }

    /**
     * A data run of a metadata-preallocated image, refined by the data file's holes as qemu's
     * block layer does: a hole reads as zero (a hole reaching the end of the file, or a run
     * starting past it, makes the whole run zero), and a data extent shortens the run.
     */
    private LayerStatus throughDataFile(Run run) {
        long host = run.host();
        long fileLength = dataFile.size();
        if (host >= fileLength) {
            return new LayerStatus(run.length(), true, true, host);
        }
        long n = Math.min(run.length(), fileLength - host);
        if (dataHoles == null) {
            dataHoles = NativeFiles.Holes.open(dataFile.path(), dataFile.size());
        }
        NativeFiles.Extent e = dataHoles.extentAt(host, n);
        if (!e.data()) {
            boolean toEnd = host + e.length() >= fileLength;
            return new LayerStatus(toEnd ? run.length() : e.length(), true, true, host);
        }
        return new LayerStatus(e.length(), true, false, host);
    }

    @Override
    public void close() throws IOException {
        try (file; ImageFile d = dataFile != file ? dataFile : null; Image b = backing) {
            if (decompressor != null) {
                decompressor.close();
            }
            if (dataHoles != null) {
                dataHoles.close();
            }
        }
    }
}
