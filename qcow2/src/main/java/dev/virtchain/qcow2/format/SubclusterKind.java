package dev.virtchain.qcow2.format;

/** How one subcluster (a whole cluster without extended L2) is mapped; qemu's QCow2SubclusterType. */
public enum SubclusterKind {
    UNALLOCATED_PLAIN, UNALLOCATED_ALLOC, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED;

    public boolean hasHostCluster() {
        return this == NORMAL || this == ZERO_ALLOC || this == UNALLOCATED_ALLOC;
    }

    /**
     * qemu's qcow2_get_subcluster_type: subcluster {@code sc} of an entry of cluster type
     * {@code type}, or null where the bitmap contradicts the type (qemu's INVALID).
     */
    public static SubclusterKind of(L2Entry.Type type, long bitmap, int sc, boolean extendedL2) {
        return switch (type) {
            case COMPRESSED -> COMPRESSED;
            case ZERO_PLAIN -> ZERO_PLAIN; // standard L2 only, as ZERO_ALLOC
            case ZERO_ALLOC -> ZERO_ALLOC;
            case NORMAL -> !extendedL2 ? NORMAL
                    : L2Entry.allocatedAndZero(bitmap) ? null
                    : L2Entry.subclusterZero(bitmap, sc) ? ZERO_ALLOC
                    : L2Entry.subclusterAllocated(bitmap, sc) ? NORMAL : UNALLOCATED_ALLOC;
            case UNALLOCATED -> !extendedL2 ? UNALLOCATED_PLAIN
                    : L2Entry.anyAllocated(bitmap) ? null
                    : L2Entry.subclusterZero(bitmap, sc) ? ZERO_PLAIN : UNALLOCATED_PLAIN;
        };
    }
}
