package dev.virtchain.qcow2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Lays out cluster 0 of a qcow2 version 3 image as qemu does: the 112-byte header, the header
 * extensions (backing format, feature name table), the end marker, then the backing file name.
 * A new image starts as qemu-img create's does, at size 0: the header, the refcount table in
 * cluster 1 and one refcount block in cluster 2.
 */
final class HeaderEncoder {
    /** Field offsets in the header, for in-place updates. */
    static final int OFF_BACKING_FILE_OFFSET = 8;
    static final int OFF_BACKING_FILE_SIZE = 16;
    static final int OFF_SIZE = 24;
    static final int OFF_L1_SIZE = 36;
    static final int OFF_L1_TABLE_OFFSET = 40;
    static final int OFF_REFCOUNT_TABLE_OFFSET = 48;
    static final int OFF_REFCOUNT_TABLE_CLUSTERS = 56;
    /** A new image's refcount table and its one refcount block, after the header (cluster 0). */
    static final long REFCOUNT_TABLE_CLUSTER = 1;
    static final long REFCOUNT_BLOCK_CLUSTER = 2;
    /** Clusters of an image of size 0: the header, the refcount table and the refcount block. */
    static final int EMPTY_IMAGE_CLUSTERS = 3;
    /** Header length qemu writes for version 3: the compression type byte plus padding to 8. */
    static final int V3_HEADER_LENGTH = 112;

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
    static ByteBuffer encode(String file, CreateOptions o) throws ImageException {
        int cs = 1 << o.clusterBits();
        ByteBuffer b = ByteBuffer.allocate(cs);
        long incompatible = (o.extendedL2() ? Qcow2Header.INCOMPAT_EXTL2 : 0)
                | (o.compressionType() != Qcow2Header.COMPRESSION_ZLIB ? Qcow2Header.INCOMPAT_COMPRESSION : 0);
        b.putInt(0, Qcow2Header.MAGIC);
        b.putInt(4, 3);                                   // version
        b.putInt(20, o.clusterBits());
        b.putLong(OFF_SIZE, 0);                           // size: grown later
        b.putInt(32, 0);                                  // crypt_method: none
        b.putInt(OFF_L1_SIZE, 0);                         // no L1 table until the image grows
        b.putLong(OFF_L1_TABLE_OFFSET, 0);
        b.putLong(OFF_REFCOUNT_TABLE_OFFSET, REFCOUNT_TABLE_CLUSTER * cs);
        b.putInt(OFF_REFCOUNT_TABLE_CLUSTERS, 1);
        b.putInt(60, 0);                                  // nb_snapshots
        b.putLong(64, 0);                                 // snapshots_offset
        b.putLong(72, incompatible);
        b.putLong(80, 0);                                 // compatible: never lazy refcounts
        b.putLong(88, 0);                                 // autoclear
        b.putInt(96, o.refcountOrder());
        b.putInt(100, V3_HEADER_LENGTH);
        b.put(104, (byte) o.compressionType());

        int pos = V3_HEADER_LENGTH;
        byte[] name = o.backingFile() == null ? new byte[0] : o.backingFile().getBytes(StandardCharsets.UTF_8);
        if (name.length > Qcow2Header.MAX_BACKING_NAME) {
            throw new ImageException(file, "backing file name is " + name.length + " bytes (at most "
                    + Qcow2Header.MAX_BACKING_NAME + ")");
        }
        if (o.backingFile() != null && o.backingFormat() != null) {
            pos = extension(b, pos, Qcow2Header.EXT_BACKING_FORMAT, o.backingFormat().getBytes(StandardCharsets.US_ASCII));
        }
        int featureTable = 8 + FEATURES.size() * 48;
        // Small clusters leave no room for the (optional) feature name table next to a backing name.
        if (pos + featureTable + 8 + name.length <= cs) {
            byte[] t = new byte[FEATURES.size() * 48];
            for (int i = 0; i < FEATURES.size(); i++) {
                Feature f = FEATURES.get(i);
                t[i * 48] = (byte) f.kind().ordinal();
                t[i * 48 + 1] = (byte) f.bit();
                byte[] n = f.name().getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(n, 0, t, i * 48 + 2, n.length);
            }
            pos = extension(b, pos, Qcow2Header.EXT_FEATURE_TABLE, t);
        }
        pos += 8; // end of extensions: type 0, length 0
        if (name.length > 0) {
            if (pos + name.length > cs) {
                throw new ImageException(file, "backing file name (" + name.length + " bytes) does not fit in a "
                        + cs + "-byte cluster");
            }
            b.putLong(OFF_BACKING_FILE_OFFSET, pos);
            b.putInt(OFF_BACKING_FILE_SIZE, name.length);
            b.put(pos, name);
        }
        return b;
    }

    private static int extension(ByteBuffer b, int pos, int type, byte[] data) {
        b.putInt(pos, type);
        b.putInt(pos + 4, data.length);
        b.put(pos + 8, data);
        return pos + 8 + ((data.length + 7) & ~7);
    }
}
