package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.HeaderExtensions;
import dev.virtchain.qcow2.format.HeaderField;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.Positional;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.HeaderEncoder;
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

    /**
     * Points {@code image} at {@code backing} (stored as given) of format {@code format}; a null
     * or empty {@code backing} makes it standalone.
     */
    public static void set(Path image, String backing, String format) throws IOException {
        String name = image.toString();
        if (backing != null && backing.isEmpty()) {
            backing = null;
        }
        if (backing != null) {
            CreateOptions.checkBackingFormat(name, format);
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Qcow2Header h = HeaderEncoder.readForWriting(name, ch);
            int cs = (int) h.clusterSize();
            ByteBuffer c0 = ByteBuffer.allocate((int) Math.min(cs, ch.size()));
            Positional.readZeroPadded(ch, c0, 0);
            c0.flip();
            List<Extension> kept = h.version() >= 3 ? extensions(name, c0, h) : List.of();
            byte[] backingName = HeaderEncoder.backingName(name, backing);
            ByteBuffer area = ByteBuffer.allocate(cs);
            int pos = h.headerLength();
            if (h.version() >= 3) {
                if (backing != null && format != null) {
                    pos = HeaderExtensions.put(name, area, pos, Qcow2Header.EXT_BACKING_FORMAT,
                            ByteBuffer.wrap(format.getBytes(StandardCharsets.US_ASCII)));
                }
                for (Extension e : kept) {
                    pos = HeaderExtensions.put(name, area, pos, e.type(), e.data());
                }
                pos = HeaderExtensions.put(name, area, pos, Qcow2Header.EXT_END, ByteBuffer.allocate(0));
            }
            if (pos + backingName.length > cs) {
                throw new ImageException(ErrorKind.UNSUPPORTED, name, "backing file name (" + backingName.length
                        + " bytes) does not fit in the first cluster with the header extensions");
            }
            area.put(pos, backingName);
            // One write of everything after the fixed header, then the two fields that point into it.
            int end = Math.max(pos + backingName.length, c0.limit());
            Positional.writeFully(ch, area.slice(h.headerLength(), end - h.headerLength()), h.headerLength());
            ch.force(false);
            HeaderEncoder.update(ch, HeaderField.BACKING_FILE_OFFSET, backing == null ? 0 : pos, backingName.length);
            ch.force(false);
        }
    }

    private record Extension(int type, ByteBuffer data) {
    }

    /** The header extensions other than the backing format (validated by {@link Qcow2Header#parse}). */
    private static List<Extension> extensions(String name, ByteBuffer c0, Qcow2Header h) throws ImageException {
        List<Extension> out = new ArrayList<>();
        HeaderExtensions.walk(name, h, c0, (type, data) -> {
            if (type != Qcow2Header.EXT_BACKING_FORMAT) {
                out.add(new Extension(type, data));
            }
        });
        return out;
    }
}
