package dev.virtchain.qcow2;

/**
 * One entry of a chain's allocation map, as {@code qemu-img map --output=json} prints it:
 * the layer (depth) that decides the range, whether that layer allocates it, reads as zero or
 * holds data, and the host offset of the data when known ({@code -1} otherwise).
 */
public record MapEntry(long start, long length, int depth, boolean present, boolean zero, boolean data, long offset) {

    public boolean hasOffset() {
        return offset != LayerStatus.NO_OFFSET;
    }

    /** qemu-img's rule for merging adjacent entries. */
    public boolean mergeableWith(MapEntry next) {
        return length > 0 && zero == next.zero && data == next.data && depth == next.depth
                && present == next.present && hasOffset() == next.hasOffset()
                && (!hasOffset() || offset + length == next.offset);
    }

    public MapEntry extendedBy(MapEntry next) {
        return new MapEntry(start, length + next.length, depth, present, zero, data, offset);
    }
}
