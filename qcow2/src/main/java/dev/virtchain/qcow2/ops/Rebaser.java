package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.io.Zeros;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.ReadAhead;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Changes a qcow2 image's backing file. The unsafe mode rewrites only the header's link. The
 * safe mode first copies into the image every range it does not allocate itself where the old
 * and the new backing chains differ, so what the guest sees is unchanged; the header switches
 * to the new link only after that data is durable, so an interrupted rebase leaves the image
 * on its old backing with the same guest view.
 */
public final class Rebaser {
    /** Bytes read at once, and reads in flight on each chain: as {@link Committer}'s. */
    private static final int CHUNK = 1 << 20;
    private static final int READS_IN_FLIGHT = 4;
    /** Direct writes in flight ({@code -Dvirtchain.rebase.writesInFlight=N} for measuring; 0: one at a time). */
    private static final int WRITES_IN_FLIGHT = Integer.getInteger("virtchain.rebase.writesInFlight", 4);

    private Rebaser() {
    }

    /**
     * @param newBacking the new backing name, stored as given and resolved against the image's
     *                   directory; null or empty makes the image standalone
     * @param newFormat  its format, or null to probe it (unsafe mode with a missing file: none recorded)
     */
    public static void rebase(Path image, String newBacking, String newFormat, boolean unsafe, Progress progress)
            throws IOException {
        try {
            rebase(image.toString(), image, newBacking, newFormat, unsafe, progress);
        } catch (IOException e) {
            throw ImageException.about(image.toString(), null, e); // a write error naming no file is the image's
        }
    }

    private static void rebase(String name, Path image, String newBacking, String newFormat, boolean unsafe,
            Progress progress) throws IOException {
        boolean standalone = newBacking == null || newBacking.isEmpty();
        if (unsafe) {
            String format = newFormat;
            if (format == null && !standalone) {
                format = probe(Images.resolve(name, newBacking));
            }
            BackingLink.set(image, standalone ? null : newBacking, format);
            return;
        }
        NativeFiles.loadInBackground(); // the map's walk needs it (st_blocks), after the metadata is read
        try (Image top = Images.open(name, "qcow2", true);
                Image target = standalone ? null : Images.open(Images.resolve(name, newBacking), newFormat, true)) {
            copyDifferences(image, top, target, progress);
            BackingLink.set(image, standalone ? null : newBacking, target == null ? null : target.format());
        }
    }

    private static String probe(String file) {
        try (Image img = Images.open(file, null, false)) {
            return img.format();
        } catch (IOException e) {
            return null; // unsafe mode may point at a file that does not exist (yet)
        }
    }

    /**
     * Finds the ranges the image does not allocate where the two views may differ, then reads
     * them through both chains with a few reads in flight on each ({@link ReadAhead}) and writes
     * the old view's content where the two differ, past the page cache where it can (see
     * {@link Qcow2Writer#directData}; the writer fsyncs before the link changes).
     */
    private static void copyDifferences(Path image, Image top, Image target, Progress progress) throws IOException {
        long size = top.virtualSize();
        List<Image> between = layersBetween(top, target);
        List<long[]> ranges = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            LayerStatus s = top.status(pos, Math.min(size - pos, CHUNK));
            long end = pos + s.length();
            for (long p = pos; p < end && !s.allocated(); ) {
                Run run = between == null ? new Run(end - p, true) : mayDiffer(between, p, end - p);
                if (run.mayDiffer()) {
                    if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] == p) {
                        ranges.get(ranges.size() - 1)[1] = p + run.length();
                    } else {
                        ranges.add(new long[] {p, p + run.length()});
                    }
                }
                p += run.length();
            }
            pos = end;
        }
        top.preferDirectReads();
        if (target != null) {
            target.preferDirectReads();
        }
        try (Qcow2Writer w = Qcow2Writer.open(image)) {
            if (w.directData() && WRITES_IN_FLIGHT > 0) {
                // Every range written is one the image does not allocate, each written once; a
                // failed write surfaces at the writer's flush, before any L2 entry points at it.
                w.writeBehind(WRITES_IN_FLIGHT);
            }
            int unit = (int) w.clusterSize();
            int chunk = Math.max(CHUNK, unit); // a cluster is compared whole
            try (ReadAhead olds = new ReadAhead(top, ranges, chunk, READS_IN_FLIGHT);
                    ReadAhead nows = target == null ? null : new ReadAhead(target, ranges, chunk, READS_IN_FLIGHT)) {
                ByteBuffer zeros = target == null ? ByteBuffer.allocate(chunk) : null;
                for (ReadAhead.Chunk old = olds.next(); old != null; old = olds.next()) {
                    ByteBuffer now = nows != null ? nows.next().data() : zeros.clear().limit(old.data().limit());
                    copyPieces(w, old.offset(), old.data(), now, unit);
                    progress.update(old.offset() + old.data().limit(), size);
                }
            }
            progress.update(size, size);
        }
    }

    /**
     * When the new backing image is itself a layer of the old backing chain (rebasing past
     * layers, as a backup chain is shortened), the layers between the image and it; otherwise
     * null. Where none of those layers allocates a range, the old chain reads the new backing's
     * own content there, so the range needs no reading at all (qemu-img rebase skips it too).
     */
    private static List<Image> layersBetween(Image top, Image target) throws IOException {
        if (target == null) {
            return null;
        }
        Path want = target.path().toRealPath();
        List<Image> between = new ArrayList<>();
        for (Image l = top.backing(); l != null; l = l.backing()) {
            if (l.format().equals(target.format()) && l.path().toRealPath().equals(want)) {
                return between;
            }
            between.add(l);
        }
        return null;
    }

    /** A guest run, and whether the old chain may show something there that the new backing does not. */
    private record Run(long length, boolean mayDiffer) {
    }

    /**
     * The run from {@code pos} (at most {@code len} long). The old chain may differ where some
     * layer between allocates the run (data or zeros), or where the run lies past the end of a
     * layer between, which reads as zeros above a longer image.
     */
    private static Run mayDiffer(List<Image> between, long pos, long len) throws IOException {
        long n = len;
        for (Image l : between) {
            if (pos >= l.virtualSize()) {
                return new Run(len, true);
            }
            LayerStatus s = l.status(pos, Math.min(n, l.virtualSize() - pos));
            if (s.allocated()) {
                return new Run(s.length(), true);
            }
            n = Math.min(n, s.length());
        }
        return new Run(n, false);
    }

    /**
     * Writes the old content of every piece where the two views differ, as zeros where it reads
     * as zero. Pieces follow the image's clusters, so a differing piece is one whole cluster where
     * possible, and consecutive differing data pieces go out as one write (a run of fresh clusters
     * is one allocation and one request, not one per cluster).
     */
    private static void copyPieces(Qcow2Writer w, long pos, ByteBuffer old, ByteBuffer now, int unit)
            throws IOException {
        int runStart = -1; // start of the pending run of differing data pieces, or -1
        int off = 0;
        while (off < old.limit()) {
            int n = (int) Math.min(old.limit() - off, unit - ((pos + off) % unit));
            ByteBuffer a = old.slice(off, n);
            boolean differs = a.mismatch(now.slice(off, n)) >= 0;
            boolean zero = differs && Zeros.isZero(a);
            if ((!differs || zero) && runStart >= 0) {
                w.write(pos + runStart, old.slice(runStart, off - runStart));
                runStart = -1;
            }
            if (zero) {
                w.writeZeroes(pos + off, n);
            } else if (differs && runStart < 0) {
                runStart = off;
            }
            off += n;
        }
        if (runStart >= 0) {
            w.write(pos + runStart, old.slice(runStart, off - runStart));
        }
    }
}
