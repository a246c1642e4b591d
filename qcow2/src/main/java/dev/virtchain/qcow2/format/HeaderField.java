package dev.virtchain.qcow2.format;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The fixed fields of the qcow2 header, in the order of qcow2.txt, each at its byte offset with
 * its width: the one table that {@link Qcow2Header#parse} reads and the writer's {@code HeaderEncoder}
 * writes, for a new image and for the fields the writer and the ops' {@code BackingLink} update in place. Values
 * are big-endian; a field's {@link #toString} is its name in the specification, as messages say it.
 */
public enum HeaderField {
    MAGIC(0, 4),
    VERSION(4, 4),
    BACKING_FILE_OFFSET(8, 8),
    BACKING_FILE_SIZE(16, 4),
    CLUSTER_BITS(20, 4),
    SIZE(24, 8),
    CRYPT_METHOD(32, 4),
    L1_SIZE(36, 4),
    L1_TABLE_OFFSET(40, 8),
    REFCOUNT_TABLE_OFFSET(48, 8),
    REFCOUNT_TABLE_CLUSTERS(56, 4),
    NB_SNAPSHOTS(60, 4),
    SNAPSHOTS_OFFSET(64, 8),
    // Version 3 and later:
    INCOMPATIBLE_FEATURES(72, 8),
    COMPATIBLE_FEATURES(80, 8),
    AUTOCLEAR_FEATURES(88, 8),
    REFCOUNT_ORDER(96, 4),
    HEADER_LENGTH(100, 4),
    // Present when header_length reaches past it:
    COMPRESSION_TYPE(104, 1);

    public final int offset;
    final int width;
    private final String specName;

    HeaderField(int offset, int width) {
        this.offset = offset;
        this.width = width;
        this.specName = name().toLowerCase(Locale.ROOT);
    }

    /** The offset of the byte after the field. */
    public int end() {
        return offset + width;
    }

    /**
     * The field's value in {@code header}, a big-endian buffer whose position 0 is the file's
     * first byte: a 1-byte field unsigned, a 4-byte one as Java's int (cast back with no loss).
     */
    long get(ByteBuffer header) {
        return switch (width) {
            case 1 -> header.get(offset) & 0xff;
            case 4 -> header.getInt(offset);
            default -> header.getLong(offset);
        };
    }

    /** Stores {@code value} (its low {@link #width} bytes) as the field in {@code header}. */
    public void put(ByteBuffer header, long value) {
        switch (width) {
            case 1 -> header.put(offset, (byte) value);
            case 4 -> header.putInt(offset, (int) value);
            default -> header.putLong(offset, value);
        }
    }

    @Override
    public String toString() {
        return specName;
    }
}
