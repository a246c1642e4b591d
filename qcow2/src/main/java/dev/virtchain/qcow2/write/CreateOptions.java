package dev.virtchain.qcow2.write;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.Qcow2Header;

/**
 * What a new qcow2 image looks like: virtual size, cluster size, L2 entry kind, refcount width,
 * compression type, and the backing link (name stored as given, relative names resolved
 * against the new image's directory; format {@code qcow2} or {@code raw}).
 */
public record CreateOptions(long size, int clusterBits, boolean extendedL2, int refcountOrder,
        int compressionType, String backingFile, String backingFormat) {

    public static final int DEFAULT_CLUSTER_BITS = 16;  // 64 KiB, qemu's default
    public static final int DEFAULT_REFCOUNT_ORDER = 4; // 16-bit refcounts, qemu's default

    public static CreateOptions of(long size) {
        return new CreateOptions(size, DEFAULT_CLUSTER_BITS, false, DEFAULT_REFCOUNT_ORDER,
                Qcow2Header.COMPRESSION_ZLIB, null, null);
    }

    public CreateOptions withBacking(String file, String format) {
        return new CreateOptions(size, clusterBits, extendedL2, refcountOrder, compressionType, file, format);
    }

    public CreateOptions withClusterBits(int bits) {
        return new CreateOptions(size, bits, extendedL2, refcountOrder, compressionType, backingFile, backingFormat);
    }

    public CreateOptions withExtendedL2(boolean on) {
        return new CreateOptions(size, clusterBits, on, refcountOrder, compressionType, backingFile, backingFormat);
    }

    public CreateOptions withCompressionType(int type) {
        return new CreateOptions(size, clusterBits, extendedL2, refcountOrder, type, backingFile, backingFormat);
    }

    public CreateOptions withRefcountOrder(int order) {
        return new CreateOptions(size, clusterBits, extendedL2, order, compressionType, backingFile, backingFormat);
    }

    /** Refuses options no image can have, or virtchain does not write. */
    void check(String name) throws ImageException {
        if (clusterBits < Qcow2Header.MIN_CLUSTER_BITS || clusterBits > Qcow2Header.MAX_CLUSTER_BITS) {
            throw new ImageException(ErrorKind.USAGE, name, "cluster size " + (1L << clusterBits)
                    + " is out of range (512 B to 2 MiB)");
        }
        if (extendedL2 && clusterBits < Qcow2Header.MIN_EXTENDED_L2_CLUSTER_BITS) {
            throw new ImageException(ErrorKind.USAGE, name, "extended L2 entries need clusters of at least 16 KiB");
        }
        if (size < 0 || Qcow2Header.l1EntriesFor(size, clusterBits, extendedL2) * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw tooLarge(name, size, clusterBits, extendedL2);
        }
        if (backingFile != null) {
            checkBackingFormat(name, backingFormat);
        }
    }

    /** Refuses a backing format virtchain does not write a link to. */
    public static void checkBackingFormat(String file, String format) throws ImageException {
        if (format != null && !format.equals("qcow2") && !format.equals("raw")) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "backing format '" + format
                    + "' is not supported (qcow2 or raw)");
        }
    }

    /** A size the largest L1 table cannot map, and the largest it can. */
    static ImageException tooLarge(String name, long size, int clusterBits, boolean extendedL2) {
        return new ImageException(ErrorKind.UNSUPPORTED, name, "size " + size + " is too large for "
                + (1L << clusterBits)
                + "-byte clusters (at most " + Qcow2Header.maxSizeFor(clusterBits, extendedL2) + ")");
    }

    public CreateOptions withSize(long bytes) {
        return new CreateOptions(bytes, clusterBits, extendedL2, refcountOrder, compressionType, backingFile,
                backingFormat);
    }
}
