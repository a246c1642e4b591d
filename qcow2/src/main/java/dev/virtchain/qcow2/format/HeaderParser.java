package dev.virtchain.qcow2.format;

import static dev.virtchain.qcow2.ImageException.hex;
import static dev.virtchain.qcow2.format.HeaderField.AUTOCLEAR_FEATURES;
import static dev.virtchain.qcow2.format.HeaderField.BACKING_FILE_OFFSET;
import static dev.virtchain.qcow2.format.HeaderField.BACKING_FILE_SIZE;
import static dev.virtchain.qcow2.format.HeaderField.CLUSTER_BITS;
import static dev.virtchain.qcow2.format.HeaderField.COMPATIBLE_FEATURES;
import static dev.virtchain.qcow2.format.HeaderField.COMPRESSION_TYPE;
import static dev.virtchain.qcow2.format.HeaderField.CRYPT_METHOD;
import static dev.virtchain.qcow2.format.HeaderField.HEADER_LENGTH;
import static dev.virtchain.qcow2.format.HeaderField.INCOMPATIBLE_FEATURES;
import static dev.virtchain.qcow2.format.HeaderField.L1_SIZE;
import static dev.virtchain.qcow2.format.HeaderField.L1_TABLE_OFFSET;
import static dev.virtchain.qcow2.format.HeaderField.MAGIC;
import static dev.virtchain.qcow2.format.HeaderField.NB_SNAPSHOTS;
import static dev.virtchain.qcow2.format.HeaderField.REFCOUNT_ORDER;
import static dev.virtchain.qcow2.format.HeaderField.REFCOUNT_TABLE_CLUSTERS;
import static dev.virtchain.qcow2.format.HeaderField.REFCOUNT_TABLE_OFFSET;
import static dev.virtchain.qcow2.format.HeaderField.SIZE;
import static dev.virtchain.qcow2.format.HeaderField.SNAPSHOTS_OFFSET;
import static dev.virtchain.qcow2.format.HeaderField.VERSION;
import static dev.virtchain.qcow2.format.Qcow2Header.COMPRESSION_ZLIB;
import static dev.virtchain.qcow2.format.Qcow2Header.COMPRESSION_ZSTD;
import static dev.virtchain.qcow2.format.Qcow2Header.V2_HEADER_LENGTH;
import static dev.virtchain.qcow2.format.Qcow2Header.V3_MIN_HEADER_LENGTH;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and validates a qcow2 header in four steps, each refusing what is wrong before the
 * next one reads on: the fixed fields, the geometry they describe (cluster size, header length,
 * refcount width, encryption, compression), the backing file name and header extensions in the
 * first cluster, then the feature bits and the tables the header points to.
 */
final class HeaderParser {
    private HeaderParser() {
    }

    /** See {@link Qcow2Header#parse}. */
    static Qcow2Header parse(String file, ByteBuffer probe, Qcow2Header.ClusterReader firstCluster, long fileSize)
            throws IOException {
        ByteBuffer b = probe.duplicate().order(ByteOrder.BIG_ENDIAN);
        Qcow2Header fixed = fixedFields(file, b);
        checkGeometry(file, fixed, b.remaining(), fileSize);
        // The rest of cluster 0 holds the header extensions and the backing file name.
        ByteBuffer c0 = firstCluster.read(0, (int) Math.min(fixed.clusterSize(), fileSize)).order(ByteOrder.BIG_ENDIAN);
        String backingFile = backingFile(file, fixed, c0, fileSize);
        Extensions found = new Extensions(file, fixed, fileSize);
        // qemu reads extensions for both versions; v2 images from qemu carry the backing format too.
        HeaderExtensions.walk(file, fixed, c0, found);
        Qcow2Header h = fixed.withExtensions(backingFile, found.backingFormat, List.copyOf(found.features),
                found.bitmaps, found.dataFile, List.copyOf(found.unknown));
        checkFeatures(file, h);
        checkTables(file, h, fileSize);
        return h;
    }

    /** The fixed fields, version 3's too, once the file is known to hold a header of a version we read. */
    private static Qcow2Header fixedFields(String file, ByteBuffer b) throws ImageException {
        if (b.remaining() < V2_HEADER_LENGTH) {
            throw new ImageException(ErrorKind.CORRUPT, file, "file is " + b.remaining()
                    + " bytes, too small for a qcow2 header (" + V2_HEADER_LENGTH + ")");
        }
        int magic = (int) MAGIC.get(b);
        if (magic != Qcow2Header.MAGIC) {
            throw new ImageException(ErrorKind.CORRUPT, file, "magic " + hex(magic & 0xffffffffL)
                    + " is not qcow2's (0x514649fb)");
        }
        int version = (int) VERSION.get(b);
        if (version == 1) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file,
                    "qcow version 1 images are not supported (only qcow2)");
        }
        if (version != 2 && version != 3) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "qcow2 version " + Integer.toUnsignedString(version)
                    + " is not supported (only 2 and 3)");
        }
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;               // v2 has 16-bit refcounts
        int headerLength = V2_HEADER_LENGTH; // v2 header has a fixed size
        int compressionType = COMPRESSION_ZLIB;
        if (version == 3) {
            if (b.remaining() < V3_MIN_HEADER_LENGTH) {
                throw new ImageException(ErrorKind.CORRUPT, file, "file is " + b.remaining()
                        + " bytes, too small for a qcow2 version 3 header (" + V3_MIN_HEADER_LENGTH + ")");
            }
            incompatible = INCOMPATIBLE_FEATURES.get(b);
            compatible = COMPATIBLE_FEATURES.get(b);
            autoclear = AUTOCLEAR_FEATURES.get(b);
            refcountOrder = (int) REFCOUNT_ORDER.get(b);
            headerLength = (int) HEADER_LENGTH.get(b);
            if (headerLength > V3_MIN_HEADER_LENGTH && b.remaining() > V3_MIN_HEADER_LENGTH) {
                compressionType = (int) COMPRESSION_TYPE.get(b); // a header_length past the file: checkGeometry
            }
        }
        return new Qcow2Header(version, BACKING_FILE_OFFSET.get(b), (int) BACKING_FILE_SIZE.get(b),
                (int) CLUSTER_BITS.get(b), SIZE.get(b), (int) CRYPT_METHOD.get(b), (int) L1_SIZE.get(b),
                L1_TABLE_OFFSET.get(b), REFCOUNT_TABLE_OFFSET.get(b), (int) REFCOUNT_TABLE_CLUSTERS.get(b),
                (int) NB_SNAPSHOTS.get(b), SNAPSHOTS_OFFSET.get(b), incompatible, compatible, autoclear,
                refcountOrder, headerLength, compressionType, null, null, List.of(), null, null, List.of());
    }

    /**
     * The cluster size, header length, refcount width, encryption and compression type.
     *
     * @param probed the header bytes read: a longer header_length must lie in the file
     */
    private static void checkGeometry(String file, Qcow2Header h, int probed, long fileSize) throws ImageException {
        int clusterBits = h.clusterBits();
        if (clusterBits < Qcow2Header.MIN_CLUSTER_BITS || clusterBits > Qcow2Header.MAX_CLUSTER_BITS) {
            throw new ImageException(ErrorKind.CORRUPT, file, CLUSTER_BITS + " " + Integer.toUnsignedString(clusterBits)
                    + " is out of range (9 to 21)");
        }
        long clusterSize = h.clusterSize();
        int headerLength = h.headerLength();
        if (h.version() == 3) {
            if (Integer.toUnsignedLong(headerLength) < V3_MIN_HEADER_LENGTH) {
                throw new ImageException(ErrorKind.CORRUPT, file, HEADER_LENGTH + " "
                        + Integer.toUnsignedString(headerLength)
                        + " is shorter than the version 3 header (" + V3_MIN_HEADER_LENGTH + ")");
            }
            if (Integer.toUnsignedLong(headerLength) > clusterSize) {
                throw new ImageException(ErrorKind.CORRUPT, file, HEADER_LENGTH + " "
                        + Integer.toUnsignedString(headerLength) + " exceeds the cluster size (" + clusterSize + ")");
            }
            if (headerLength > V3_MIN_HEADER_LENGTH && probed <= V3_MIN_HEADER_LENGTH) {
                throw new ImageException(ErrorKind.CORRUPT, file, HEADER_LENGTH + " " + headerLength
                        + " runs past end of file (" + fileSize + ")");
            }
            if (Integer.toUnsignedLong(h.refcountOrder()) > 6) {
                throw new ImageException(ErrorKind.CORRUPT, file, REFCOUNT_ORDER + " "
                        + Integer.toUnsignedString(h.refcountOrder()) + " is out of range (0 to 6)");
            }
        }
        if (headerLength > fileSize) {
            throw new ImageException(ErrorKind.CORRUPT, file, HEADER_LENGTH + " " + headerLength
                    + " runs past end of file (" + fileSize + ")");
        }
        int cryptMethod = h.cryptMethod();
        if (cryptMethod != 0) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "image is encrypted (" + CRYPT_METHOD + " "
                    + Integer.toUnsignedString(cryptMethod) + ", "
                    + (cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : "unknown")
                    + "); virtchain does not read encrypted images");
        }
        int compressionType = h.compressionType();
        if (compressionType != COMPRESSION_ZLIB && compressionType != COMPRESSION_ZSTD) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, COMPRESSION_TYPE + " " + compressionType
                    + " is unknown (0 zlib, 1 zstd)");
        }
        boolean compressionBit = (h.incompatibleFeatures() & Qcow2Header.INCOMPAT_COMPRESSION) != 0;
        if (compressionBit != (compressionType != COMPRESSION_ZLIB)) {
            throw new ImageException(ErrorKind.CORRUPT, file, COMPRESSION_TYPE + " " + compressionType
                    + (compressionBit ? " is zlib but the compression type incompatible bit (3) is set"
                            : " is not zlib but the compression type incompatible bit (3) is clear"));
        }
    }

    /** The backing file name in the first cluster, {@code c0}, or null for none. */
    private static String backingFile(String file, Qcow2Header h, ByteBuffer c0, long fileSize)
            throws ImageException {
        long offset = h.backingFileOffset();
        if (offset == 0) {
            return null;
        }
        long clusterSize = h.clusterSize();
        if (offset < 0 || offset > clusterSize) {
            throw new ImageException(ErrorKind.CORRUPT, file, BACKING_FILE_OFFSET + " " + hex(offset)
                    + " is outside the first cluster (" + clusterSize + " bytes)");
        }
        int length = h.backingFileSize();
        long maxLen = Math.min(Qcow2Header.MAX_BACKING_NAME, clusterSize - offset);
        if (Integer.toUnsignedLong(length) > maxLen) {
            throw new ImageException(ErrorKind.CORRUPT, file, BACKING_FILE_SIZE + " " + Integer.toUnsignedString(length)
                    + " is too long (at most " + maxLen + " bytes here)");
        }
        if (offset + length > c0.limit()) {
            throw new ImageException(ErrorKind.CORRUPT, file, "backing file name at " + hex(offset)
                    + " runs past end of file (" + fileSize + ")");
        }
        // qemu uses the name as a C string: a NUL byte ends it (and no NUL may reach a Path).
        String name = HeaderExtensions.cString(c0, (int) offset, length);
        return name.isEmpty() ? null : name;
    }

    /** What the header extensions say, gathered as they are walked. */
    private static final class Extensions implements HeaderExtensions.Visitor {
        private final String file;
        private final Qcow2Header h;
        private final long fileSize;
        private String backingFormat;
        private final List<Feature> features = new ArrayList<>();
        private BitmapsExtension bitmaps;
        private String dataFile;
        private final List<Integer> unknown = new ArrayList<>();

        Extensions(String file, Qcow2Header h, long fileSize) {
            this.file = file;
            this.h = h;
            this.fileSize = fileSize;
        }

        @Override
        public void visit(int type, ByteBuffer data) throws ImageException {
            int n = data.limit();
            switch (type) {
                case Qcow2Header.EXT_BACKING_FORMAT -> {
                    if (n >= 16) {
                        throw new ImageException(ErrorKind.CORRUPT, file, "backing format extension has length " + n
                                + " (at most 15)");
                    }
                    backingFormat = HeaderExtensions.cString(data, 0, n);
                }
                case Qcow2Header.EXT_FEATURE_TABLE -> {
                    for (int i = 0; i + Feature.ENTRY_BYTES <= n; i += Feature.ENTRY_BYTES) {
                        Feature f = Feature.read(data, i);
                        if (f != null) {
                            features.add(f);
                        }
                    }
                }
                case Qcow2Header.EXT_BITMAPS -> {
                    if (h.version() == 3) { // qemu ignores bitmaps in a v2 image as possibly stale
                        bitmaps = bitmaps(file, data, h, fileSize);
                    }
                }
                case Qcow2Header.EXT_DATA_FILE -> dataFile = HeaderExtensions.cString(data, 0, n);
                case Qcow2Header.EXT_CRYPTO -> unknown.add(type); // only meaningful with crypt_method, refused above
                default -> unknown.add(type);
            }
        }
    }

    private static BitmapsExtension bitmaps(String file, ByteBuffer data, Qcow2Header h, long fileSize)
            throws ImageException {
        int n = data.limit();
        if (n != 24) {
            throw new ImageException(ErrorKind.CORRUPT, file, "bitmaps extension has length " + n + " (must be 24)");
        }
        long count = Integer.toUnsignedLong(data.getInt(0));
        int reserved = data.getInt(4);
        long dirSize = data.getLong(8);
        long dirOffset = data.getLong(16);
        if ((h.autoclearFeatures() & Qcow2Header.AUTOCLEAR_BITMAPS) == 0) {
            return new BitmapsExtension((int) Math.min(count, Integer.MAX_VALUE), dirSize, dirOffset); // ignored, as qemu does
        }
        if (reserved != 0) {
            throw new ImageException(ErrorKind.CORRUPT, file, "bitmaps extension has reserved field "
                    + hex(reserved & 0xffffffffL) + " (must be 0)");
        }
        if (count == 0) {
            throw new ImageException(ErrorKind.CORRUPT, file,
                    "bitmaps extension counts 0 bitmaps (a present extension needs at least 1)");
        }
        if (count > Qcow2Header.MAX_BITMAPS) {
            throw new ImageException(ErrorKind.CORRUPT, file, "bitmaps extension counts " + count + " bitmaps (at most "
                    + Qcow2Header.MAX_BITMAPS + ")");
        }
        if (dirSize < 0 || dirSize > Qcow2Header.MAX_BITMAP_DIRECTORY_BYTES) {
            throw new ImageException(ErrorKind.CORRUPT, file, "bitmap_directory_size " + Long.toUnsignedString(dirSize)
                    + " is too large (at most " + Qcow2Header.MAX_BITMAP_DIRECTORY_BYTES + ")");
        }
        checkTable(file, "bitmap directory", "bitmap_directory_offset", dirOffset, dirSize, h.clusterSize(), fileSize);
        return new BitmapsExtension((int) count, dirSize, dirOffset);
    }

    /** The feature bits: none unknown, the data file's bit and name together, extended L2's cluster size. */
    private static void checkFeatures(String file, Qcow2Header h) throws ImageException {
        long unknownIncompat = h.incompatibleFeatures() & ~Qcow2Header.INCOMPAT_KNOWN;
        if (unknownIncompat != 0) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "unsupported incompatible feature(s): "
                    + describeBits(unknownIncompat, h.featureNames()));
        }
        if (h.hasDataFile() && h.dataFile() == null) {
            throw new ImageException(ErrorKind.CORRUPT, file,
                    "incompatible feature 'external data file' is set but the image names no data file");
        }
        if (!h.hasDataFile() && h.dataFile() != null) {
            throw new ImageException(ErrorKind.CORRUPT, file, "image names data file " + Names.quote(h.dataFile())
                    + " but the external data file feature bit (2) is clear");
        }
        if (h.extendedL2() && h.clusterBits() < Qcow2Header.MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new ImageException(ErrorKind.CORRUPT, file,
                    "extended L2 entries need clusters of at least 16 KiB, cluster_bits is "
                    + h.clusterBits());
        }
    }

    /** The virtual size, and the L1, refcount and snapshot tables: capped, cluster aligned, inside the file. */
    private static void checkTables(String file, Qcow2Header h, long fileSize) throws ImageException {
        long size = h.size();
        if (size < 0) {
            throw new ImageException(ErrorKind.CORRUPT, file, SIZE + " " + Long.toUnsignedString(size)
                    + " is too large");
        }
        long clusterSize = h.clusterSize();
        long l1Needed = Qcow2Header.l1EntriesFor(size, h.clusterBits(), h.extendedL2());
        long l1Entries = Integer.toUnsignedLong(h.l1Size());
        if (l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new ImageException(ErrorKind.CORRUPT, file, L1_SIZE + " " + l1Entries + " is too large (at most "
                    + Qcow2Header.MAX_L1_BYTES / 8 + " entries)");
        }
        if (l1Needed > l1Entries) {
            throw new ImageException(ErrorKind.CORRUPT, file, L1_SIZE + " " + l1Entries + " is too small for size "
                    + size + " (needs " + l1Needed + ")");
        }
        if (l1Entries > 0) {
            checkTable(file, "l1 table", L1_TABLE_OFFSET.toString(), h.l1TableOffset(), l1Entries * 8, clusterSize,
                    fileSize);
        }
        long reftableClusters = Integer.toUnsignedLong(h.refcountTableClusters());
        if (reftableClusters == 0) {
            throw new ImageException(ErrorKind.CORRUPT, file, REFCOUNT_TABLE_CLUSTERS
                    + " is 0: the image has no refcount table");
        }
        if (reftableClusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) {
            throw new ImageException(ErrorKind.CORRUPT, file, REFCOUNT_TABLE_CLUSTERS + " " + reftableClusters
                    + " is too large (at most " + Qcow2Header.MAX_REFCOUNT_TABLE_BYTES / clusterSize + ")");
        }
        checkTable(file, "refcount table", REFCOUNT_TABLE_OFFSET.toString(), h.refcountTableOffset(),
                reftableClusters * clusterSize, clusterSize, fileSize);
        long snapshots = Integer.toUnsignedLong(h.nbSnapshots());
        if (snapshots > Qcow2Header.MAX_SNAPSHOTS) {
            throw new ImageException(ErrorKind.CORRUPT, file, NB_SNAPSHOTS + " " + snapshots + " is too large (at most "
                    + Qcow2Header.MAX_SNAPSHOTS + ")");
        }
        if (snapshots > 0) {
            // Each entry takes at least 40 bytes; the table's exact size is known only when read.
            checkTable(file, "snapshot table", SNAPSHOTS_OFFSET.toString(), h.snapshotsOffset(), snapshots * 40,
                    clusterSize, fileSize);
        }
    }

    /**
     * Checks that a table of {@code length} bytes at {@code offset} (read from field
     * {@code offsetField}) starts on a cluster boundary and lies inside the file.
     */
    static void checkTable(String file, String what, String offsetField, long offset, long length, long clusterSize,
            long fileSize) throws ImageException {
        if ((offset & (clusterSize - 1)) != 0) {
            throw new ImageException(ErrorKind.CORRUPT, file, offsetField + " " + hex(offset)
                    + " is not cluster aligned");
        }
        long end;
        try {
            end = offset < 0 ? Long.MAX_VALUE : Math.addExact(offset, length);
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
        }
        if (end > fileSize) {
            throw new ImageException(ErrorKind.CORRUPT, file, what + " (" + offsetField + " " + hex(offset) + ", "
                    + length + " bytes) runs past end of file (" + hex(fileSize) + ")");
        }
    }

    private static String describeBits(long bits, List<Feature> features) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            String name = null;
            for (Feature f : features) {
                if (f.kind() == Feature.Kind.INCOMPATIBLE && f.bit() == bit) {
                    name = f.name();
                }
            }
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append("bit ").append(bit);
            if (name != null && !name.isEmpty()) {
                sb.append(' ').append(Names.quote(name));
            }
        }
        return sb.toString();
    }
}
