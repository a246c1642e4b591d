package dev.virtchain.qcow2.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Byte surgery on a qcow2 file for tests: reads the header fields it needs (offsets per
 * qcow2.txt) and rewrites single table entries or refcounts, to make one specific breakage.
 */
public final class ImagePoker implements AutoCloseable {
    private final FileChannel ch;
    public final int clusterBits;
    public final long clusterSize;
    public final long l1Offset;
    final long refcountTableOffset;
    final int refcountOrder;
    final boolean extendedL2;

    public ImagePoker(Path file) throws IOException {
        ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        int version = readInt(4);
        clusterBits = readInt(20);          // cluster_bits
        clusterSize = 1L << clusterBits;
        l1Offset = readLong(40);            // l1_table_offset
        refcountTableOffset = readLong(48); // refcount_table_offset
        refcountOrder = version >= 3 ? readInt(96) : 4;               // refcount_order; v2 has 16 bits
        extendedL2 = version >= 3 && (readLong(72) & (1L << 4)) != 0; // incompatible bit 4
    }

    public long size() throws IOException {
        return ch.size();
    }

    long readLong(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        ch.read(b, offset);
        return b.flip().getLong();
    }

    int readInt(long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        ch.read(b, offset);
        return b.flip().getInt();
    }

    public void writeLong(long offset, long value) throws IOException {
        ch.write(ByteBuffer.allocate(8).putLong(0, value), offset);
    }

    public long l1Entry(int index) throws IOException {
        return readLong(l1Offset + 8L * index);
    }

    public void setL1Entry(int index, long value) throws IOException {
        writeLong(l1Offset + 8L * index, value);
    }

    /** The file offset of L2 entry {@code index} of the table L1 entry {@code l1Index} points to. */
    long l2EntryAt(int l1Index, int index) throws IOException {
        long l2 = l1Entry(l1Index) & L2Entry.L1E_OFFSET_MASK;
        return l2 + (long) index * (extendedL2 ? 16 : 8);
    }

    public long l2Entry(int l1Index, int index) throws IOException {
        return readLong(l2EntryAt(l1Index, index));
    }

    public void setL2Entry(int l1Index, int index, long value) throws IOException {
        writeLong(l2EntryAt(l1Index, index), value);
    }

    /** Writes the subcluster bitmap of an extended L2 entry. */
    public void setL2Bitmap(int l1Index, int index, long bitmap) throws IOException {
        writeLong(l2EntryAt(l1Index, index) + 8, bitmap);
    }

    public long refcountTableEntry(int index) throws IOException {
        return readLong(refcountTableOffset + 8L * index);
    }

    public void setRefcountTableEntry(int index, long value) throws IOException {
        writeLong(refcountTableOffset + 8L * index, value);
    }

    long refcount(long cluster) throws IOException {
        long[] at = refcountAt(cluster);
        int bits = 1 << refcountOrder;
        if (bits >= 8) {
            ByteBuffer b = ByteBuffer.allocate(bits / 8);
            ch.read(b, at[0]);
            b.flip();
            return switch (bits) {
                case 8 -> b.get() & 0xff;
                case 16 -> b.getShort() & 0xffff;
                case 32 -> b.getInt() & 0xffffffffL;
                default -> b.getLong();
            };
        }
        ByteBuffer b = ByteBuffer.allocate(1);
        ch.read(b, at[0]);
        return (b.get(0) >>> at[1]) & ((1 << bits) - 1);
    }

    public void setRefcount(long cluster, long value) throws IOException {
        long[] at = refcountAt(cluster);
        int bits = 1 << refcountOrder;
        ByteBuffer b;
        if (bits >= 8) {
            b = ByteBuffer.allocate(bits / 8);
            switch (bits) {
                case 8 -> b.put((byte) value);
                case 16 -> b.putShort((short) value);
                case 32 -> b.putInt((int) value);
                default -> b.putLong(value);
            }
        } else {
            b = ByteBuffer.allocate(1);
            ch.read(b, at[0]);
            int mask = ((1 << bits) - 1) << at[1];
            b.put(0, (byte) ((b.get(0) & ~mask) | ((value << at[1]) & mask)));
            b.position(1);
        }
        ch.write(b.flip(), at[0]);
    }

    /** {byte offset, bit shift} of a cluster's refcount entry. */
    private long[] refcountAt(long cluster) throws IOException {
        int blockBits = clusterBits + 3 - refcountOrder;
        long block = refcountTableEntry((int) (cluster >>> blockBits)) & RefcountBlock.REFT_OFFSET_MASK;
        if (block == 0) {
            throw new IllegalStateException("cluster " + cluster + " has no refcount block");
        }
        long index = cluster & ((1L << blockBits) - 1);
        long bitOffset = index << refcountOrder;
        return new long[] {block + bitOffset / 8, bitOffset % 8};
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
