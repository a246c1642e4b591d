package dev.virtchain.qcow2.format;

/** The bitmaps header extension: where the persistent dirty bitmap directory lives. */
public record BitmapsExtension(int count, long directorySize, long directoryOffset) {
}
