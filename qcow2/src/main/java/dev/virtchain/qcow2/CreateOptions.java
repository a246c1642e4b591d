package dev.virtchain.qcow2;

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

    public CreateOptions withSize(long bytes) {
        return new CreateOptions(bytes, clusterBits, extendedL2, refcountOrder, compressionType, backingFile,
                backingFormat);
    }
}
