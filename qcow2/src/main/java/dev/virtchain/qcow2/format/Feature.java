package dev.virtchain.qcow2.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** One entry of the feature name table header extension. */
public record Feature(Kind kind, int bit, String name) {
    /** An entry's bytes: the type, the bit number, the name in 46 bytes padded with NULs. */
    public static final int ENTRY_BYTES = 48;
    private static final int NAME_BYTES = 46;

    /** The feature bits a name is for, in the order of their type byte: 0, 1, 2. */
    public enum Kind {
        INCOMPATIBLE, COMPATIBLE, AUTOCLEAR;

        static Kind of(int type) {
            return type >= 0 && type < values().length ? values()[type] : null;
        }

        int type() {
            return ordinal();
        }
    }

    /** The entry at {@code pos} of a feature name table, or null for a type the spec does not define. */
    static Feature read(ByteBuffer table, int pos) {
        Kind kind = Kind.of(table.get(pos) & 0xff);
        return kind == null ? null
                : new Feature(kind, table.get(pos + 1) & 0xff, HeaderExtensions.cString(table, pos + 2, NAME_BYTES));
    }

    /** Writes this entry at {@code pos} of {@code table}. */
    public void write(ByteBuffer table, int pos) {
        table.put(pos, (byte) kind.type()).put(pos + 1, (byte) bit)
                .put(pos + 2, name.getBytes(StandardCharsets.US_ASCII));
    }
}
