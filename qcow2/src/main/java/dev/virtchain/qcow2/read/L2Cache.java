package dev.virtchain.qcow2.read;

import java.util.LinkedHashMap;
import java.util.Map;

/** The most recently used L2 tables, keyed by their offset in the file. */
final class L2Cache {
    private final LinkedHashMap<Long, long[]> tables;

    L2Cache(int capacity) {
        this.tables = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, long[]> eldest) {
                return size() > capacity;
            }
        };
    }

    long[] get(long offset) {
        return tables.get(offset);
    }

    void put(long offset, long[] table) {
        tables.put(offset, table);
    }
}
