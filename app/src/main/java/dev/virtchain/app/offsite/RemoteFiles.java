package dev.virtchain.app.offsite;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.L2Entry;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files of a remote set, read by position, each read from the object of the ETag listed (an
 * object replaced since fails the read). A flatten's reads are known before it starts and are
 * fetched ahead, merged and several at once ({@link #planFlatten}); any other read (a header, a
 * table of {@code verify}) is one ranged GET of exactly its bytes: the blocks and read-ahead this
 * class once kept for files read in order fetched far more than was read when a walk of the L2
 * tables looked like reading in order.
 */
public final class RemoteFiles implements AutoCloseable {
    private final Bucket bucket;
    private final Map<String, Bucket.ObjectInfo> objects;
    /** What a flatten will read, fetched ahead; null when no flatten is planned. */
    private volatile PlannedReads planned;

    /** The files of the set in {@code bucket}, as its listing {@code objects} has them. */
    public RemoteFiles(Bucket bucket, Map<String, Bucket.ObjectInfo> objects) {
        this.bucket = bucket;
        this.objects = Map.copyOf(objects);
    }

    /**
     * Fetches ahead what a flatten of {@code top} will read (see {@link PlannedReads}): its map,
     * walked now, says which ranges of which object each guest range reads, in order. Reads the
     * plan does not cover are served as before. One plan at a time: a new one replaces the last.
     */
    public void planFlatten(Image top) throws IOException {
        List<String> names = new ArrayList<>();
        for (Image layer = top; layer != null; layer = layer.backing()) {
            // A layer with an external data file (no backup has one) is read unplanned.
            names.add(layer instanceof Qcow2Image q && q.dataFilePath() == null && objects.containsKey(q.file().name())
                    ? q.file().name() : null);
        }
        closePlan();
        // The walk reads every L2 table of every layer, in guest order: fetched ahead like the data.
        planned = plan(tables(top, names));
        List<PlannedReads.Segment> segments = new ArrayList<>();
        ChainMap.walk(top, e -> {
            String name = e.depth() < names.size() ? names.get(e.depth()) : null;
            if (e.data() && e.hasOffset() && name != null) {
                segments.add(new PlannedReads.Segment(name, e.offset(), e.length(), e.start()));
            }
        });
        closePlan();
        planned = plan(segments);
    }

    /** The L2 tables of the layers of {@code top} that {@code names} names, in the order a walk of the chain reads them. */
    private static List<PlannedReads.Segment> tables(Image top, List<String> names) throws IOException {
        List<long[]> l1s = new ArrayList<>();
        int most = 0;
        int depth = 0;
        long span = 0;
        for (Image layer = top; layer != null; layer = layer.backing(), depth++) {
            if (names.get(depth) == null || !(layer instanceof Qcow2Image q)) {
                l1s.add(new long[0]);
                continue;
            }
            Qcow2Header h = q.header();
            long[] l1 = new long[h.l1Size()];
            q.file().read("l1 table", h.l1TableOffset(), h.l1Size() * 8).asLongBuffer().get(l1);
            l1s.add(l1);
            most = Math.max(most, l1.length);
            span = Math.max(span, h.clusterSize() * (h.clusterSize() / 8));
        }
        List<PlannedReads.Segment> out = new ArrayList<>();
        for (int i = 0; i < most; i++) {
            for (int d = 0; d < l1s.size(); d++) {
                long[] l1 = l1s.get(d);
                long table = i < l1.length ? l1[i] & L2Entry.L1E_OFFSET_MASK : 0;
                if (table != 0) {
                    Qcow2Header h = layerAt(top, d).header();
                    out.add(new PlannedReads.Segment(names.get(d), table, h.clusterSize(), i * span));
                }
            }
        }
        return out;
    }

    private static Qcow2Image layerAt(Image top, int depth) {
        Image layer = top;
        for (int d = 0; d < depth; d++) {
            layer = layer.backing();
        }
        return (Qcow2Image) layer;
    }

    private PlannedReads plan(List<PlannedReads.Segment> segments) {
        return new PlannedReads((name, pos, pages, length) -> {
            if (!bucket.read(name, etag(name), pos, pages, length)) {
                throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(name) + " is shorter than listed ("
                        + objects.get(name).size() + " bytes): it changed after the listing");
            }
        }, PlannedReads.plan(segments), PlannedReads.BUDGET, PlannedReads.PARALLEL);
    }

    private void closePlan() {
        PlannedReads p = planned;
        planned = null;
        if (p != null) {
            p.close();
        }
    }

    private String etag(String name) {
        Bucket.ObjectInfo o = objects.get(name);
        return o == null || o.etag() == null || o.etag().isEmpty() ? null : o.etag();
    }

    /** Opens the files of a chain: {@link Images#open(String, String, boolean, dev.virtchain.qcow2.PastEnd, Images.Opener)}. */
    public Images.Opener opener() {
        return this::open;
    }

    /** File {@code name} of the set as an image file read by ranges. */
    public ImageFile open(String name) throws IOException {
        Bucket.ObjectInfo o = objects.get(name);
        if (o == null) {
            throw new ImageException(ErrorKind.NOT_FOUND, name, "no such file");
        }
        return ImageFile.over(name, new ObjectChannel(this, name, o.size()));
    }

    /** Fills {@code dst} (which lies in the object) from {@code pos} of {@code name}, an object of {@code size} bytes. */
    void read(String name, long size, long pos, ByteBuffer dst) throws IOException {
        PlannedReads p = planned;
        if (p != null) {
            long at = pos;
            for (int n; dst.hasRemaining() && (n = p.serve(name, at, dst)) > 0; ) {
                at += n;
            }
            if (!dst.hasRemaining()) {
                return;
            }
            readUnplanned(name, size, at, dst);
            return;
        }
        readUnplanned(name, size, pos, dst);
    }

    /** One ranged GET of exactly the bytes asked for. */
    private void readUnplanned(String name, long size, long pos, ByteBuffer dst) throws IOException {
        if (!bucket.read(name, etag(name), pos, dst)) {
            throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(name) + " is shorter than listed (" + size
                    + " bytes): it changed after the listing");
        }
    }

    @Override
    public void close() {
        closePlan();
    }
}
