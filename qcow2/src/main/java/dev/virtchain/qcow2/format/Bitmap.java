package dev.virtchain.qcow2.format;

/** One persistent dirty bitmap from the bitmap directory. */
public record Bitmap(String name, int granularityBits, int flags, int type, long tableOffset, int tableSize) {
    public static final int FLAG_IN_USE = 1;
    public static final int FLAG_AUTO = 1 << 1;
    public static final int FLAG_EXTRA_DATA_COMPATIBLE = 1 << 2;

    public long granularity() {
        return 1L << granularityBits;
    }

    public boolean inUse() {
        return (flags & FLAG_IN_USE) != 0;
    }

    public boolean auto() {
        return (flags & FLAG_AUTO) != 0;
    }
}
