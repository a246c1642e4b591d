package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the backing link in a qcow2 header: the backing file name and the backing format
 * extension. Every other header extension is kept, byte for byte and in order.
 */
public final class BackingLink {
    private BackingLink() {
    }

    private record Extension(int type, byte[] data) {
    }

    /**
     * Points {@code image} at {@code backing} (stored as given) of format {@code format}; a null
     * or empty {@code backing} makes it standalone.
     */
    public static void set(Path image, String backing, String format) throws IOException {
        String name = image.toString();
        if (backing != null && backing.isEmpty()) {
            backing = null;
        }
        if (backing != null && format != null && !format.equals("qcow2") && !format.equals("raw")) {
            throw new ImageException(name, "backing format '" + format + "' is not supported (qcow2 or raw)");
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long fileSize = ch.size();
            ByteBuffer probe = ByteBuffer.allocate((int) Math.min(Qcow2Header.PROBE_LENGTH, fileSize));
            Positional.readFully(ch, probe, 0);
            probe.flip();
            Qcow2Header h = Qcow2Header.parse(name, probe, (off, len) -> {
                ByteBuffer b = ByteBuffer.allocate(len);
                Positional.readFully(ch, b, off);
                return b.flip();
            }, fileSize);
            if (h.corrupt()) {
                throw new ImageException(name, "image is marked corrupt; virtchain does not write to it");
            }
            int cs = (int) h.clusterSize();
            ByteBuffer c0 = ByteBuffer.allocate((int) Math.min(cs, fileSize));
            Positional.readFully(ch, c0, 0);
            c0.flip();
            List<Extension> kept = h.version() >= 3 ? extensions(c0, h) : List.of();
            byte[] backingName = backing == null ? new byte[0] : backing.getBytes(StandardCharsets.UTF_8);
            if (backingName.length > Qcow2Header.MAX_BACKING_NAME) {
                throw new ImageException(name, "backing file name is " + backingName.length + " bytes (at most "
                        + Qcow2Header.MAX_BACKING_NAME + ")");
            }
            ByteBuffer area = ByteBuffer.allocate(cs);
            int pos = h.headerLength();
            if (h.version() >= 3) {
                if (backing != null && format != null) {
                    pos = put(area, pos, Qcow2Header.EXT_BACKING_FORMAT, format.getBytes(StandardCharsets.US_ASCII), cs, name);
                }
                for (Extension e : kept) {
                    pos = put(area, pos, e.type(), e.data(), cs, name);
                }
                pos = put(area, pos, Qcow2Header.EXT_END, new byte[0], cs, name);
            }
            if (pos + backingName.length > cs) {
                throw new ImageException(name, "backing file name (" + backingName.length
                        + " bytes) does not fit in the first cluster with the header extensions");
            }
            area.put(pos, backingName);
            // One write of everything after the fixed header, then the two fields that point into it.
            int end = Math.max(pos + backingName.length, c0.limit());
            Positional.writeFully(ch, area.slice(h.headerLength(), end - h.headerLength()), h.headerLength());
            ch.force(false);
            ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, backing == null ? 0 : pos)
                    .putInt(8, backingName.length);
            Positional.writeFully(ch, fields, HeaderEncoder.OFF_BACKING_FILE_OFFSET);
            ch.force(false);
        }
    }

    /** The header extensions other than the backing format and the end marker. */
    private static List<Extension> extensions(ByteBuffer c0, Qcow2Header h) {
        List<Extension> out = new ArrayList<>();
        long end = Math.min(h.backingFileOffset() != 0 ? h.backingFileOffset() : h.clusterSize(), c0.limit());
        long pos = h.headerLength();
        while (pos + 8 <= end) {
            int type = c0.getInt((int) pos);
            int len = c0.getInt((int) pos + 4); // validated by Qcow2Header.parse
            if (type == Qcow2Header.EXT_END) {
                break;
            }
            if (type != Qcow2Header.EXT_BACKING_FORMAT) {
                byte[] data = new byte[len];
                c0.get((int) pos + 8, data);
                out.add(new Extension(type, data));
            }
            pos += 8 + ((len + 7L) & ~7L);
        }
        return out;
    }

    private static int put(ByteBuffer area, int pos, int type, byte[] data, int cs, String name) throws ImageException {
        int next = pos + 8 + ((data.length + 7) & ~7);
        if (next > cs) {
            throw new ImageException(name, "header extension " + hex(type & 0xffffffffL)
                    + " does not fit in the first cluster");
        }
        area.putInt(pos, type).putInt(pos + 4, data.length).put(pos + 8, data);
        return next;
    }
}
