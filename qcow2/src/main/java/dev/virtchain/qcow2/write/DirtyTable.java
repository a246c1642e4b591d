package dev.virtchain.qcow2.write;

import dev.virtchain.qcow2.io.Positional;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * A table of 64-bit entries that a writer keeps in memory (the L1 table, the refcount table),
 * with the entries changed since it was last written and whether it moved: crosvm's VecCache.
 * A moved table is written whole to its new place, before anything points at it; a table in
 * place gets its changed entries written one by one.
 */
final class DirtyTable {
    private long[] entries;
    private long offset;
    private boolean moved;
    private final TreeSet<Integer> changed = new TreeSet<>();

    private DirtyTable(long[] entries, long offset) {
        this.entries = entries;
        this.offset = offset;
    }

    /** Reads the table of {@code length} entries at {@code offset}; past the end of the file reads as zeros. */
    static DirtyTable read(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length * 8);
        Positional.readZeroPadded(ch, b, offset);
        long[] entries = new long[length];
        b.flip().asLongBuffer().get(entries);
        return new DirtyTable(entries, offset);
    }

    int length() {
        return entries.length;
    }

    long offset() {
        return offset;
    }

    long get(int i) {
        return entries[i];
    }

    void set(int i, long entry) {
        entries[i] = entry;
        changed.add(i);
    }

    /** Whether the table moved since it was last {@link #settled}: what points at it must then change. */
    boolean moved() {
        return moved;
    }

    /** Moves the table to {@code newOffset}, grown (with zero entries) to {@code length}. */
    void moveTo(long newOffset, int length) {
        entries = Arrays.copyOf(entries, length);
        offset = newOffset;
        moved = true;
    }

    /** Writes the whole table to its new place, if it moved. */
    void writeIfMoved(FileChannel ch) throws IOException {
        if (moved) {
            ByteBuffer b = ByteBuffer.allocate(entries.length * 8);
            b.asLongBuffer().put(entries);
            Positional.writeFully(ch, b, offset);
        }
    }

    /** Writes the changed entries in place, unless the table moved ({@link #writeIfMoved}); forgets them. */
    void writeChanged(FileChannel ch) throws IOException {
        if (!moved) {
            for (int i : changed) {
                Positional.writeFully(ch, ByteBuffer.allocate(8).putLong(0, entries[i]), offset + i * 8L);
            }
        }
        changed.clear();
    }

    /** Called once what points at a moved table points at its new place. */
    void settled() {
        moved = false;
    }
}
