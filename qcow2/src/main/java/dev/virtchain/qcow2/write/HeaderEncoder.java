package dev.virtchain.qcow2.write;

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

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.Feature;
import dev.virtchain.qcow2.format.HeaderExtensions;
import dev.virtchain.qcow2.format.HeaderField;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.RefcountBlock;
import dev.virtchain.qcow2.io.Positional;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The header as virtchain writes it. A new image's cluster 0 is laid out as qemu lays it out: the
 * 112-byte header, the header extensions (backing format, feature name table), the end marker,
 * then the backing file name; the image starts as qemu-img create's does, at size 0: the header,
 * the refcount table in cluster 1 and one refcount block in cluster 2. Fields of an existing
 * image are rewritten in place with {@link #update}.
 */
public final class HeaderEncoder {
    /** A new image's refcount table and its one refcount block, after the header (cluster 0). */
    static final long REFCOUNT_TABLE_CLUSTER = 1;
    static final long REFCOUNT_BLOCK_CLUSTER = 2;
    /** Clusters of an image of size 0: the header, the refcount table and the refcount block. */
    static final int EMPTY_IMAGE_CLUSTERS = 3;

    private static final List<Feature> FEATURES = List.of(
            new Feature(Feature.Kind.INCOMPATIBLE, 0, "dirty bit"),
            new Feature(Feature.Kind.INCOMPATIBLE, 1, "corrupt bit"),
            new Feature(Feature.Kind.INCOMPATIBLE, 2, "external data file"),
            new Feature(Feature.Kind.INCOMPATIBLE, 3, "compression type"),
            new Feature(Feature.Kind.INCOMPATIBLE, 4, "extended L2 entries"),
            new Feature(Feature.Kind.COMPATIBLE, 0, "lazy refcounts"),
            new Feature(Feature.Kind.AUTOCLEAR, 0, "bitmaps"),
            new Feature(Feature.Kind.AUTOCLEAR, 1, "raw external data"));

    private HeaderEncoder() {
    }

    /**
     * Cluster 0 of a new image of size 0, with no L1 table yet; {@link Qcow2Writer#create} then
     * grows it to {@code o.size()}, as qemu-img create truncates its new image to the size.
     */
    public static ByteBuffer encode(String file, CreateOptions o) throws ImageException {
        int cs = 1 << o.clusterBits();
        ByteBuffer b = ByteBuffer.allocate(cs);
        byte[] name = backingName(file, o.backingFile());
        int namePos = extensions(file, b, o, name.length);
        long incompatible = (o.extendedL2() ? Qcow2Header.INCOMPAT_EXTL2 : 0)
                | (o.compressionType() != Qcow2Header.COMPRESSION_ZLIB ? Qcow2Header.INCOMPAT_COMPRESSION : 0);
        MAGIC.put(b, Qcow2Header.MAGIC);
        VERSION.put(b, 3);
        BACKING_FILE_OFFSET.put(b, name.length > 0 ? namePos : 0);
        BACKING_FILE_SIZE.put(b, name.length);
        CLUSTER_BITS.put(b, o.clusterBits());
        SIZE.put(b, 0);                                 // grown later
        CRYPT_METHOD.put(b, 0);                         // none
        L1_SIZE.put(b, 0);                              // no L1 table until the image grows
        L1_TABLE_OFFSET.put(b, 0);
        REFCOUNT_TABLE_OFFSET.put(b, REFCOUNT_TABLE_CLUSTER * cs);
        REFCOUNT_TABLE_CLUSTERS.put(b, 1);
        NB_SNAPSHOTS.put(b, 0);
        SNAPSHOTS_OFFSET.put(b, 0);
        INCOMPATIBLE_FEATURES.put(b, incompatible);
        COMPATIBLE_FEATURES.put(b, 0);                  // never lazy refcounts
        AUTOCLEAR_FEATURES.put(b, 0);
        REFCOUNT_ORDER.put(b, o.refcountOrder());
        HEADER_LENGTH.put(b, Qcow2Header.V3_HEADER_LENGTH);
        COMPRESSION_TYPE.put(b, o.compressionType());
        b.put(namePos, name);
        return b;
    }

    /**
     * Writes an image of size 0 into the empty file {@code ch}: {@code header} (from {@link #encode}),
     * the refcount table, and the refcount block that counts these three clusters.
     */
    static void writeEmptyImage(FileChannel ch, ByteBuffer header, CreateOptions o) throws IOException {
        long cs = 1L << o.clusterBits();
        ByteBuffer reftable = ByteBuffer.allocate((int) cs).putLong(0, REFCOUNT_BLOCK_CLUSTER * cs);
        byte[] block = new byte[(int) cs];
        for (int c = 0; c < EMPTY_IMAGE_CLUSTERS; c++) {
            RefcountBlock.set(block, c, o.refcountOrder(), 1);
        }
        Positional.writeFully(ch, header, 0);
        Positional.writeFully(ch, reftable, REFCOUNT_TABLE_CLUSTER * cs);
        Positional.writeFully(ch, ByteBuffer.wrap(block), REFCOUNT_BLOCK_CLUSTER * cs);
    }

    /** Writes the header extensions after the fixed header and returns where the backing file name goes. */
    private static int extensions(String file, ByteBuffer b, CreateOptions o, int nameLength) throws ImageException {
        int cs = b.capacity();
        int pos = Qcow2Header.V3_HEADER_LENGTH;
        if (o.backingFile() != null && o.backingFormat() != null) {
            pos = HeaderExtensions.put(file, b, pos, Qcow2Header.EXT_BACKING_FORMAT,
                    ByteBuffer.wrap(o.backingFormat().getBytes(StandardCharsets.US_ASCII)));
        }
        int featureTable = 8 + FEATURES.size() * Feature.ENTRY_BYTES;
        // Small clusters leave no room for the (optional) feature name table next to a backing name.
        if (pos + featureTable + 8 + nameLength <= cs) {
            ByteBuffer t = ByteBuffer.allocate(FEATURES.size() * Feature.ENTRY_BYTES);
            for (int i = 0; i < FEATURES.size(); i++) {
                FEATURES.get(i).write(t, i * Feature.ENTRY_BYTES);
            }
            pos = HeaderExtensions.put(file, b, pos, Qcow2Header.EXT_FEATURE_TABLE, t);
        }
        pos += 8; // end of extensions: type 0, length 0
        if (nameLength > 0 && pos + nameLength > cs) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "backing file name (" + nameLength
                    + " bytes) does not fit in a " + cs + "-byte cluster");
        }
        return pos;
    }

    /** The bytes of a backing file name as the header stores them; none for null. */
    public static byte[] backingName(String file, String backing) throws ImageException {
        byte[] name = backing == null ? new byte[0] : backing.getBytes(StandardCharsets.UTF_8);
        if (name.length > Qcow2Header.MAX_BACKING_NAME) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "backing file name is " + name.length
                    + " bytes (at most " + Qcow2Header.MAX_BACKING_NAME + ")");
        }
        return name;
    }

    /**
     * The header of an image about to be written, read through the writer's channel (past the end
     * of the file reads as zeros); an image marked corrupt is refused.
     */
    public static Qcow2Header readForWriting(String name, FileChannel ch) throws IOException {
        long fileSize = ch.size();
        ByteBuffer probe = ByteBuffer.allocate((int) Math.min(Qcow2Header.PROBE_LENGTH, fileSize));
        Positional.readZeroPadded(ch, probe, 0);
        probe.flip();
        Qcow2Header h = Qcow2Header.parse(name, probe, (off, len) -> {
            ByteBuffer b = ByteBuffer.allocate(len);
            Positional.readZeroPadded(ch, b, off);
            return b.flip();
        }, fileSize);
        if (h.corrupt()) {
            throw new ImageException(ErrorKind.CORRUPT, name,
                    "image is marked corrupt; virtchain does not write to it");
        }
        return h;
    }

    /**
     * Writes {@code values} into the fields from {@code first} on, in the table's order, in place
     * and with one write: fields that point at each other change together.
     */
    public static void update(FileChannel ch, HeaderField first, long... values) throws IOException {
        HeaderField[] fields = HeaderField.values();
        ByteBuffer header = ByteBuffer.allocate(Qcow2Header.V3_HEADER_LENGTH);
        HeaderField last = first;
        for (int i = 0; i < values.length; i++) {
            last = fields[first.ordinal() + i];
            last.put(header, values[i]);
        }
        Positional.writeFully(ch, header.slice(first.offset, last.end() - first.offset), first.offset);
    }
}
