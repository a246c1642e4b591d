package dev.virtchain.chain;

import java.util.Locale;

/**
 * How one disk was backed up within a backup. An inc or diff backs up most disks incrementally,
 * but a disk that was not in the parent backup has no bitmap to start from and gets a full copy.
 */
public enum DiskMode {
    /** Every allocated cluster; the file has no backing link. */
    FULL,
    /** Only clusters changed since the incremental checkpoint; the file links to the parent's file. */
    INCREMENTAL;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DiskMode of(String word) {
        for (DiskMode m : values()) {
            if (m.word().equals(word)) {
                return m;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not a disk mode (full or incremental)");
    }
}
