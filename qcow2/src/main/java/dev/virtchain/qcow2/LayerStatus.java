package dev.virtchain.qcow2;

/**
 * The status of a guest range in one layer, in the terms of qemu's block status: {@code data}
 * (the layer holds data), {@code zero} (the layer says the range reads as zero), and the host
 * offset in the layer's data file when it is known ({@code -1} otherwise). A range that is
 * neither data nor zero is not allocated here and reads through to the backing file.
 */
public record LayerStatus(long length, boolean data, boolean zero, long hostOffset) {
    public static final long NO_OFFSET = -1;

    public boolean allocated() {
        return data || zero;
    }

    public boolean hasOffset() {
        return hostOffset != NO_OFFSET;
    }
}
