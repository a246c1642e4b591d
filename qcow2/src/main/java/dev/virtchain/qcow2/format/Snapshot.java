package dev.virtchain.qcow2.format;

/** One internal snapshot of a qcow2 image (listed by info; the active layer is what is read). */
public record Snapshot(
        String id,
        String name,
        long l1TableOffset,
        int l1Size,
        long dateSec,
        long dateNsec,
        long vmClockNsec,
        long vmStateSize,
        long diskSize,
        long icount) {
    /** qemu's marker for "no instruction count recorded". */
    public static final long NO_ICOUNT = -1;
}
