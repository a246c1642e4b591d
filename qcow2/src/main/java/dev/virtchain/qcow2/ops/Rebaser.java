package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.io.Zeros;
import dev.virtchain.qcow2.read.Images;
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
    private static final int CHUNK = 4 << 20;

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

    private static void copyDifferences(Path image, Image top, Image target, Progress progress) throws IOException {
        long size = top.virtualSize();
        List<Image> between = layersBetween(top, target);
        try (Qcow2Writer w = Qcow2Writer.open(image)) {
            int unit = (int) w.clusterSize();
            ByteBuffer old = ByteBuffer.allocate(Math.max(CHUNK, unit));
            ByteBuffer now = ByteBuffer.allocate(old.capacity());
            long pos = 0;
            while (pos < size) {
                LayerStatus s = top.status(pos, Math.min(size - pos, old.capacity()));
                long end = pos + s.length();
                for (long p = pos; p < end && !s.allocated(); ) {
                    Run run = between == null ? new Run(end - p, true) : mayDiffer(between, p, end - p);
                    if (run.mayDiffer()) {
                        int n = (int) run.length();
                        old.clear().limit(n);
                        top.read(p, old); // unallocated here: the old chain's content
                        now.clear().limit(n);
                        if (target != null) {
                            target.read(p, now);
                        } else {
                            Zeros.fill(now);
                        }
                        copyPieces(w, p, old.flip(), now.flip(), unit);
                    }
                    p += run.length();
                }
                pos = end;
                progress.update(pos, size);
            }
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

    /** Writes the old content of every piece where the two views differ, as zeros where it reads as zero. */
    private static void copyPieces(Qcow2Writer w, long pos, ByteBuffer old, ByteBuffer now, int unit)
            throws IOException {
        // Pieces follow the image's clusters, so a differing piece is one whole cluster where possible.
        int off = 0;
        while (off < old.limit()) {
            int n = (int) Math.min(old.limit() - off, unit - ((pos + off) % unit));
            ByteBuffer a = old.slice(off, n);
            ByteBuffer b = now.slice(off, n);
            if (a.mismatch(b) >= 0) {
                if (Zeros.isZero(a)) {
                    w.writeZeroes(pos + off, n);
                } else {
                    w.write(pos + off, a);
                }
            }
            off += n;
        }
    }
}
