package dev.virtchain.chain;

import java.util.List;

/**
 * The files one disk of a point in time is read through: {@code layers.get(0)} is the disk's file
 * in the backup restored, each next one its backing file, the last one a disk backed up in full.
 */
public record DiskChain(String target, List<DiskBackup> layers) {
    public DiskChain {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a chain has at least one file");
        }
    }

    /** The file the point in time is opened through (the top of the chain). */
    public DiskBackup top() {
        return layers.get(0);
    }

    /** The file names from the top down to the full. */
    public List<String> files() {
        return layers.stream().map(DiskBackup::file).toList();
    }
}
