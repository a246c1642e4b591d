package dev.virtchain.qcow2.write;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The blocks a writer reads or makes below one of its tables (L2 tables, refcount blocks), by
 * where the table finds them, with the ones changed since they were last written: crosvm's
 * CacheMap. Changed blocks are written in order of their keys.
 *
 * @param <B> a block: {@code long[]} of table entries, {@code byte[]} of refcounts
 */
final class DirtyBlocks<B> {
    private final Map<Long, B> blocks = new HashMap<>();
    private final TreeSet<Long> changed = new TreeSet<>();

    /** Writes one changed block. */
    @FunctionalInterface
    interface Writer<B> {
        void write(long key, B block) throws IOException;
    }

    /** The block at {@code key}, or null when it is not held. */
    B get(long key) {
        return blocks.get(key);
    }

    /** Holds a block as read from the file. */
    void putRead(long key, B block) {
        blocks.put(key, block);
    }

    /** Holds a new block, which the file does not have yet. */
    void putNew(long key, B block) {
        blocks.put(key, block);
        changed.add(key);
    }

    /** Notes that the block at {@code key}, which is held, changed. */
    void changed(long key) {
        changed.add(key);
    }

    int size() {
        return blocks.size();
    }

    int changedCount() {
        return changed.size();
    }

    /** Lets go of the blocks that did not change; they are read again when needed. */
    void forgetUnchanged() {
        blocks.keySet().removeIf(key -> !changed.contains(key));
    }

    /** Hands every changed block to {@code writer}, in order of their keys, and then counts none as changed. */
    void writeChanged(Writer<B> writer) throws IOException {
        for (long key : changed) {
            writer.write(key, blocks.get(key));
        }
        changed.clear();
    }
}
