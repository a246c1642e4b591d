package dev.virtchain.qcow2.format;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The header extensions, which follow the fixed header in the first cluster up to the backing
 * file name (or the cluster's end): each a 4-byte type, a 4-byte length and its data padded to
 * 8 bytes; type 0 ends them. The one walk of them, for {@link Qcow2Header#parse} and the ops'
 * {@code BackingLink}, and the one way to write one, for the writer's {@code HeaderEncoder} and
 * {@code BackingLink}.
 */
public final class HeaderExtensions {
    private HeaderExtensions() {
    }

    /** Receives one extension: its type and its data (a big-endian slice of the first cluster). */
    @FunctionalInterface
    public interface Visitor {
        void visit(int type, ByteBuffer data) throws ImageException;
    }

    /**
     * Hands every extension from header_length on to {@code visitor}, up to the end marker or the
     * end of the area; an extension whose data runs past the area is refused.
     *
     * @param c0 the first cluster, or as much of it as the file holds
     */
    public static void walk(String file, Qcow2Header h, ByteBuffer c0, Visitor visitor) throws ImageException {
        long end = Math.min(h.backingFileOffset() != 0 ? h.backingFileOffset() : h.clusterSize(), c0.limit());
        long pos = h.headerLength();
        while (pos + 8 <= end) {
            int type = c0.getInt((int) pos);
            long len = Integer.toUnsignedLong(c0.getInt((int) pos + 4));
            pos += 8;
            if (type == Qcow2Header.EXT_END) {
                break;
            }
            if (len > end - pos) {
                throw new ImageException(ErrorKind.CORRUPT, file, "header extension " + hex(type & 0xffffffffL) + " at "
                        + hex(pos - 8) + " has length " + len + ", past the end of the header area ("
                        + hex(end) + ")");
            }
            visitor.visit(type, c0.slice((int) pos, (int) len));
            pos += (len + 7) & ~7L;
        }
    }

    /**
     * Writes an extension of {@code type} holding {@code data}'s remaining bytes at {@code pos} of
     * {@code cluster0}, a buffer of the first cluster, and returns where the next one starts.
     */
    public static int put(String file, ByteBuffer cluster0, int pos, int type, ByteBuffer data) throws ImageException {
        int length = data.remaining();
        int next = pos + 8 + ((length + 7) & ~7);
        if (next > cluster0.capacity()) {
            throw new ImageException(ErrorKind.UNSUPPORTED, file, "header extension " + hex(type & 0xffffffffL)
                    + " does not fit in the first cluster");
        }
        cluster0.putInt(pos, type).putInt(pos + 4, length).put(pos + 8, data, data.position(), length);
        return next;
    }

    /** The string in at most {@code max} bytes at {@code off}: qemu reads names as C strings, a NUL ends them. */
    static String cString(ByteBuffer b, int off, int max) {
        int len = 0;
        while (len < max && b.get(off + len) != 0) {
            len++;
        }
        byte[] bytes = new byte[len];
        b.get(off, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
