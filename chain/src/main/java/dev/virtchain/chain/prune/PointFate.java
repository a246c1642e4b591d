package dev.virtchain.chain.prune;

/** What a prune does with one backup of the set. */
public enum PointFate {
    /** A policy rule (or the newest, or the chain tip) keeps it: it stays a restore point. */
    KEEP("keep"),
    /**
     * Dropped, but two or more kept points (directly or through other dropped points) read its
     * files: they stay on disk as a base, no longer a restore point, until at most one needs them.
     * Merging it into each would copy its data once per dependent, so it is not done. Also a
     * backup whose disk is larger than the point its data would merge into (the disk was shrunk
     * in between): a commit grows a file but never shrinks it.
     */
    BASE("stays as base"),
    /** Dropped; exactly one point reads its files, and they are merged into that point's. */
    MERGE("merge"),
    /** Dropped; no kept point reads its files, and they are deleted. */
    DELETE("delete");

    private final String word;

    PointFate(String word) {
        this.word = word;
    }

    /** As prune prints it: {@code keep}, {@code stays as base}, {@code merge}, {@code delete}. */
    public String word() {
        return word;
    }
}
