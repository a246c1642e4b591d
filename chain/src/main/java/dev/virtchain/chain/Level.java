package dev.virtchain.chain;

import java.util.Locale;

/**
 * What one backup is, as the manifest records it and as its file names say
 * (docs/DESIGN.md, "Backup levels and links").
 */
public enum Level {
    /** Every allocated cluster; starts a new chain and a new checkpoint. */
    FULL,
    /** Changes since the previous backup of the chain, whatever its level. */
    INC,
    /** All changes since the chain's full backup. */
    DIFF,
    /** A standalone full copy outside any chain: no checkpoint, no link. */
    COPY;

    /** The word in file names and in the manifest: {@code full}, {@code inc}, {@code diff}, {@code copy}. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The word with its article, as a sentence says it: {@code a full}, {@code an inc}. */
    public String withArticle() {
        return ("aeiou".indexOf(word().charAt(0)) >= 0 ? "an " : "a ") + word();
    }

    /** Whether a backup of this level creates a libvirt checkpoint (all but copy). */
    public boolean makesCheckpoint() {
        return this != COPY;
    }

    /** Whether a backup of this level links to a parent backup (inc and diff). */
    public boolean hasParent() {
        return this == INC || this == DIFF;
    }

    /** The level named by {@code word}; IllegalArgumentException naming the accepted words otherwise. */
    public static Level of(String word) {
        for (Level l : values()) {
            if (l.word().equals(word)) {
                return l;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not a backup level (full, inc, diff or copy)");
    }
}
