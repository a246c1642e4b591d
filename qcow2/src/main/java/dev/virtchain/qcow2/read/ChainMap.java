package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.MapEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a chain's allocation the way {@code qemu-img map} does: for each range, descend
 * until a layer allocates it (data or zero); a range no layer allocates reads as zero at the
 * bottom layer, and a range past the end of a shorter backing file reads as zero at the layer
 * above it. Adjacent entries merge by qemu-img's rule.
 */
public final class ChainMap {
    /** qemu's largest single block-status request (BDRV_REQUEST_MAX_BYTES, rounded down). */
    private static final long MAX_REQUEST = 0x7fffffffL & ~511L;

    private ChainMap() {
    }

    public static List<MapEntry> map(Image top) throws IOException {
        List<MapEntry> out = new ArrayList<>();
        walk(top, out::add);
        return out;
    }

    /** Receives map entries; may stop the walk by throwing. */
    @FunctionalInterface
    public interface Sink {
        void accept(MapEntry e) throws IOException;
    }

    /** Streams merged entries to {@code sink} in guest order. */
    public static void walk(Image top, Sink sink) throws IOException {
        long size = top.virtualSize();
        long offset = 0;
        MapEntry pending = null;
        while (offset < size) {
            MapEntry e = entryAt(top, offset, Math.min(size - offset, MAX_REQUEST));
            if (pending != null && pending.mergeableWith(e)) {
                pending = pending.extendedBy(e);
            } else {
                if (pending != null) {
                    sink.accept(pending);
                }
                pending = e;
            }
            offset += e.length();
        }
        if (pending != null) {
            sink.accept(pending);
        }
    }

    static MapEntry entryAt(Image top, long offset, long length) throws IOException {
        Image layer = top;
        int depth = 0;
        long len = length;
        while (true) {
            LayerStatus s = layer.status(offset, len);
            len = s.length();
            if (s.allocated()) {
                return new MapEntry(offset, len, depth, true, s.zero(), s.data(), s.hostOffset());
            }
            Image below = layer.backing();
            if (below == null || offset >= below.virtualSize()) {
                // qemu's block layer: unallocated with nothing beneath reads as zero.
                return new MapEntry(offset, len, depth, false, true, false, s.hostOffset());
            }
            len = Math.min(len, below.virtualSize() - offset);
            layer = below;
            depth++;
        }
    }
}
