package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.io.Positional;
import dev.virtchain.qcow2.io.RunningCrc32c;
import dev.virtchain.qcow2.io.Writeback;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.read.ReadAhead;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.HeaderEncoder;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Merges a qcow2 image's own data into its backing file, then (unless told to keep it) empties
 * the image. The backing file grows when the image is larger. The backing file is written in
 * the writer's crash-safe order; the emptied image is a fresh overlay written beside it and
 * renamed over it only once the backing file holds the data, so at every instant the image's
 * guest view is intact.
 */
public final class Committer {
    /** Bytes read at once, and reads in flight: as {@link Flattener}'s. */
    private static final int CHUNK = 1 << 20;
    private static final int READS_IN_FLIGHT = 8;
    /**
     * Where a commit's data goes: through the page cache (the default), with writeback started
     * every {@link #WRITEBACK_EVERY} bytes and the writer's fsync at the end, or with
     * {@code -Dvirtchain.commit.direct=true} past it, {@link #WRITES_IN_FLIGHT} direct writes in
     * flight (see {@link Qcow2Writer#writeBehind}). Measured on the bench's ext4 VM, idle, caches
     * dropped: a prune's commit of 217 MiB 0.53 s direct, 0.43 s through the page cache; an
     * {@code img commit -d} of 455 MB 1.16-1.28 s direct, 1.02-1.06 s through the page cache
     * (qemu-img commit, which also writes through the page cache and fsyncs, 0.67-0.83 s). Direct
     * writes into clusters whose old bytes a tracked checksum has just read (see
     * {@code CrcTrackingChannel}) also make the kernel drop those cached pages again.
     */
    private static final boolean DIRECT = Boolean.getBoolean("virtchain.commit.direct");
    private static final int WRITES_IN_FLIGHT = Integer.getInteger("virtchain.commit.writesInFlight", 4);
    /** Output bytes between starts of writeback, as the flatten's (see {@link Writeback}). */
    private static final long WRITEBACK_EVERY = 64L << 20;

    private Committer() {
    }

    /** @return the backing file that received the data */
    public static String commit(Path image, boolean keepImage, Progress progress) throws IOException {
        NativeFiles.loadInBackground(); // the map's walk needs it (st_blocks), after the metadata is read
        try (EmptyReplacement replacement = new EmptyReplacement(image)) {
            String backing = commit(image, keepImage, replacement, progress);
            if (!keepImage) {
                replacement.publish();
            }
            return backing;
        }
    }

    private static String commit(Path image, boolean keepImage, EmptyReplacement replacement, Progress progress)
            throws IOException {
        String name = image.toString();
        Qcow2Header h;
        String backing;
        String backingFormat;
        try (Image top = Images.open(name, "qcow2", false)) {
            Qcow2Image q = (Qcow2Image) top;
            h = q.header();
            if (h.backingFile() == null) {
                throw new ImageException(ErrorKind.CONFLICT, name, "has no backing file to commit into");
            }
            if (!keepImage && (h.nbSnapshots() > 0 || !q.bitmaps().isEmpty() || h.hasDataFile())) {
                throw new ImageException(ErrorKind.UNSUPPORTED, name,
                        "has internal snapshots, bitmaps or an external data file, "
                        + "which emptying it would drop; commit with -d to keep it as it is");
            }
            backing = Images.resolve(name, h.backingFile());
            try (Image below = Images.open(backing, h.backingFormat(), false)) {
                backingFormat = below.format();
            }
            if (!keepImage) {
                // Emptying comes after the data is in the backing file; what would stop it must stop the commit now.
                CreateOptions o = emptied(h, backingFormat);
                try {
                    HeaderEncoder.encode(name, o);
                } catch (ImageException e) {
                    throw new ImageException(e.kind(), name, "cannot be emptied after the commit: " + e.problem()
                            + "; commit with -d to keep it as it is", e);
                }
                replacement.start(o); // written and fsynced while the data is copied
            }
            try {
                if (backingFormat.equals("qcow2")) {
                    try (Qcow2Writer w = Qcow2Writer.open(Path.of(backing));
                            Writeback wb = new Writeback(Path.of(backing), WRITEBACK_EVERY)) {
                        w.grow(top.virtualSize());
                        directData(w);
                        copyAllocated(top, new QcowSink(w, wb), progress);
                    }
                } else {
                    try (FileChannel ch = FileChannel.open(Path.of(backing), StandardOpenOption.WRITE)) {
                        if (ch.size() < top.virtualSize()) {
                            Positional.writeFully(ch, ByteBuffer.allocate(1), top.virtualSize() - 1); // grow to the image's size
                        }
                        copyAllocated(top, new RawSink(ch), progress);
                        ch.force(true);
                    }
                }
            } catch (IOException e) {
                throw ImageException.about(backing, null, e); // a write error naming no file is the backing file's
            }
        }
        return backing;
    }

    /**
     * Commits {@code top} and the files between it and {@code into} into {@code into}, as
     * {@code qemu-img commit -b into top} does, and leaves {@code top} and {@code through} as they
     * are: for every cluster that {@code top} or one of {@code through} holds, {@code into} receives
     * the version {@code top} reads (its uppermost one), so each cluster is copied once however deep
     * the run. A range that a layer above {@code into} reads as zeros because it lies past that
     * layer's end is written as zeros too. Afterwards {@code into} has {@code virtualSize}.
     *
     * <p>Every cluster written is one that {@code top} overrides, so what {@code top} reads never
     * changes while this runs, and an interrupted commit leaves {@code into} with at most leaked
     * clusters (the writer's flush order). {@code into} is made writable by its owner for the
     * commit only; its mode is set back afterwards, also when the commit fails.
     *
     * @param top         the image whose view {@code into} takes on
     * @param through     the files between them, from {@code top}'s backing file down; {@code top}'s
     *                    chain must reach {@code into} through exactly these
     * @param into        the qcow2 file that receives the data
     * @param virtualSize the size {@code into} has afterwards: at least its size now (a commit never
     *                    cuts a file, and a backup chain never needs it: refused by name)
     */
    public static void commitInto(Path top, List<Path> through, Path into, long virtualSize, Progress progress)
            throws IOException {
        commitInto(top, through, into, virtualSize, progress, null);
    }

    /**
     * As {@link #commitInto(Path, List, Path, long, Progress)}, every change to {@code into}'s file
     * told to {@code crc} (null: none), which must start from the file as it is now: {@code into}'s
     * new checksum without reading it again.
     */
    public static void commitInto(Path top, List<Path> through, Path into, long virtualSize, Progress progress,
            RunningCrc32c crc) throws IOException {
        NativeFiles.loadInBackground();
        String name = top.toString();
        try (Image chain = Images.open(name, "qcow2", true)) {
            List<Image> layers = layersAbove(chain, through, into);
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(into);
            Set<PosixFilePermission> writable = EnumSet.copyOf(mode);
            writable.add(PosixFilePermission.OWNER_WRITE);
            Files.setPosixFilePermissions(into, writable);
            try {
                try (Qcow2Writer w = Qcow2Writer.open(into, crc);
                        Writeback wb = new Writeback(into, WRITEBACK_EVERY)) {
                    if (w.virtualSize() > virtualSize) {
                        throw new ImageException(ErrorKind.UNSUPPORTED, into.toString(), "is larger (" + w.virtualSize()
                                + " bytes) than the size it is to have after the commit (" + virtualSize
                                + "); cutting an image is not supported");
                    }
                    w.grow(virtualSize);
                    directData(w);
                    Image target = crc == null ? null : layers.get(layers.size() - 1).backing();
                    copyUppermost(chain, layers, virtualSize, new QcowSink(w, wb), progress, target);
                } catch (IOException e) {
                    throw ImageException.about(into.toString(), null, e);
                }
            } finally {
                Files.setPosixFilePermissions(into, mode);
            }
        }
    }

    /** Guest data past the page cache, several writes in flight: fsynced at the end anyway (see DirectData). */
    private static void directData(Qcow2Writer w) throws IOException {
        if (DIRECT && w.directData() && WRITES_IN_FLIGHT > 0) {
            w.writeBehind(WRITES_IN_FLIGHT);
        }
    }

    /** {@code top}'s layers above {@code into}, checked to be {@code top}, then exactly {@code through}. */
    private static List<Image> layersAbove(Image top, List<Path> through, Path into) throws IOException {
        List<Image> layers = new ArrayList<>();
        List<Path> expected = new ArrayList<>(through);
        expected.add(into);
        Image at = top;
        layers.add(at);
        for (Path want : expected) {
            Image below = at.backing();
            if (below == null || !Files.isSameFile(below.path(), want)) {
                throw new ImageException(ErrorKind.CONFLICT, at.filename(), "links to "
                        + (below == null ? "no backing file"
                        : Names.escape(below.path().getFileName().toString())) + ", not to "
                        + Names.escape(want.getFileName().toString()) + " as the commit into "
                        + Names.escape(into.getFileName().toString()) + " expects");
            }
            if (want != into) {
                layers.add(below);
            } else if (!below.format().equals("qcow2")) {
                throw new ImageException(ErrorKind.UNSUPPORTED, below.filename(), "is " + below.format()
                        + ", not qcow2");
            }
            at = below;
        }
        return layers;
    }

    /**
     * Writes each range the uppermost layer holds: zeros where it says zero (or where it ends below
     * the range), data read through {@code top} where it holds data. Reads never reach the file
     * written, as some layer above it holds every range read.
     */
    private static void copyUppermost(Image top, List<Image> layers, long size, Sink sink, Progress progress,
            Image target) throws IOException {
        List<long[]> data = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            long len = Math.min(size - pos, CHUNK);
            boolean isData = false;
            boolean isZero = false;
            for (Image layer : layers) {
                if (pos >= layer.virtualSize()) {
                    isZero = true; // reads as zero past this layer's end, whatever lies below
                    break;
                }
                LayerStatus s = layer.status(pos, Math.min(len, layer.virtualSize() - pos));
                len = s.length();
                if (s.data() || s.zero()) {
                    isData = s.data();
                    isZero = !s.data();
                    break;
                }
            }
            if (isData) {
                addRange(data, pos, len);
            } else if (isZero) {
                sink.zero(pos, len);
            }
            pos += len;
        }
        if (target != null) {
            prefetchOverwritten(target, data);
        }
        // Through the page cache: a prune has read the files ahead into it (NativeFiles.willNeed)
        // while its journal was written, and direct reads would read them from the disk again.
        writeData(top, data, size, sink, progress, false);
    }

    /**
     * Starts reading into the page cache the clusters of {@code target} that the commit will
     * overwrite in place: a tracked checksum reads each one just before it is overwritten (see
     * {@code CrcTrackingChannel}), and read one by one, cold, they cost the bench's prune about 0.1 s
     * of a 0.43 s commit. Their host offsets are looked up now, before the writer changes any table.
     */
    private static void prefetchOverwritten(Image target, List<long[]> data) throws IOException {
        List<long[]> host = new ArrayList<>();
        for (long[] r : data) {
            for (long pos = r[0]; pos < r[1] && pos < target.virtualSize(); ) {
                LayerStatus s = target.status(pos, Math.min(r[1], target.virtualSize()) - pos);
                if (s.data() && s.hasOffset()) {
                    addRange(host, s.hostOffset(), s.length());
                }
                pos += s.length();
            }
        }
        Path file = Path.of(target.dataFilename());
        Thread t = new Thread(() -> NativeFiles.willNeed(file, host), "prefetch");
        t.setDaemon(true);
        t.start();
    }

    /** Adds {@code [pos, pos + len)} to {@code ranges}, joining it to the last one when they touch. */
    private static void addRange(List<long[]> ranges, long pos, long len) {
        if (!ranges.isEmpty() && ranges.get(ranges.size() - 1)[1] == pos) {
            ranges.get(ranges.size() - 1)[1] = pos + len;
        } else {
            ranges.add(new long[] {pos, pos + len});
        }
    }

    /**
     * Writes the {@code data} ranges as {@code top} reads them, a few chunks read ahead (see
     * {@link ReadAhead}) while the previous ones are written.
     */
    private static void writeData(Image top, List<long[]> data, long size, Sink sink, Progress progress,
            boolean directReads) throws IOException {
        if (directReads) {
            top.preferDirectReads();
        }
        try (ReadAhead chunks = new ReadAhead(top, data, CHUNK, READS_IN_FLIGHT)) {
            for (ReadAhead.Chunk c = chunks.next(); c != null; c = chunks.next()) {
                sink.write(c.offset(), c.data());
                progress.update(c.offset() + c.data().limit(), size);
            }
        }
        progress.update(size, size);
    }

    private interface Sink {
        void write(long offset, ByteBuffer data) throws IOException;

        void zero(long offset, long length) throws IOException;
    }

    /** Into a qcow2 writer, telling {@code wb} of every byte written. */
    private record QcowSink(Qcow2Writer w, Writeback wb) implements Sink {
        @Override
        public void write(long offset, ByteBuffer data) throws IOException {
            int n = data.remaining();
            w.write(offset, data);
            wb.wrote(n);
        }

        @Override
        public void zero(long offset, long length) throws IOException {
            w.writeZeroes(offset, length);
        }
    }

    private record RawSink(FileChannel ch) implements Sink {
        @Override
        public void write(long offset, ByteBuffer data) throws IOException {
            Positional.writeFully(ch, data, offset);
        }

        @Override
        public void zero(long offset, long length) throws IOException {
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, CHUNK));
            for (long p = offset; p < offset + length; p += zeros.capacity()) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), offset + length - p));
                write(p, zeros);
            }
        }
    }

    /**
     * Copies every range the image allocates itself: zero clusters as zeros, then data as data,
     * read ahead a few chunks at a time (see {@link ReadAhead}) while the previous ones are
     * written. The ranges are disjoint, so their order does not matter to the result.
     */
    private static void copyAllocated(Image top, Sink sink, Progress progress) throws IOException {
        long size = top.virtualSize();
        List<long[]> data = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            LayerStatus s = top.status(pos, Math.min(size - pos, CHUNK));
            if (s.data()) {
                addRange(data, pos, s.length());
            } else if (s.zero()) {
                sink.zero(pos, s.length());
            }
            pos += s.length();
        }
        writeData(top, data, size, sink, progress, true);
    }

    /** An empty overlay of the image's layout and link. */
    private static CreateOptions emptied(Qcow2Header h, String backingFormat) {
        return new CreateOptions(h.size(), h.clusterBits(), h.extendedL2(), h.refcountOrder(), h.compressionType(),
                h.backingFile(), h.backingFormat() != null ? h.backingFormat() : backingFormat);
    }

    /**
     * The image's empty replacement, an overlay of the same layout and link written beside it on a
     * thread of its own while the data is copied (its fsyncs then cost the commit nothing), and
     * renamed over the image only by {@link #publish}, once the backing file holds the data.
     * Closing it without publishing deletes it.
     */
    private static final class EmptyReplacement implements AutoCloseable {
        private final Path image;
        private FutureTask<Path> written;

        EmptyReplacement(Path image) {
            this.image = image;
        }

        void start(CreateOptions o) {
            written = new FutureTask<>(() -> writeBeside(o));
            Thread t = new Thread(written, "empty-overlay");
            t.setDaemon(true);
            t.start();
        }

        private Path writeBeside(CreateOptions o) throws IOException {
            Path tmp;
            try {
                tmp = DurableFiles.createTemporaryBeside(image);
            } catch (IOException e) {
                throw new ImageException(ErrorKind.of(e), image.toString(), "cannot create its empty replacement: "
                        + ImageException.reason(e), e);
            }
            try {
                Files.delete(tmp);
                Qcow2Writer.create(tmp, o).close();
                try {
                    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(image));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: keep the default mode
                }
                return tmp;
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw ImageException.about(image.toString(), tmp, e); // the user knows the image, not the temporary
            }
        }

        /** Waits for the replacement and renames it over the image. */
        void publish() throws IOException {
            Path tmp = await();
            try {
                DurableFiles.publish(tmp, image, DurableFiles.IfExists.REPLACE);
            } catch (IOException e) {
                throw ImageException.about(image.toString(), tmp, e);
            }
        }

        private Path await() throws IOException {
            try {
                return written.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting for the empty replacement of " + image);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(e.getCause());
            }
        }

        /** Deletes the replacement unless it was published (then it is gone already). */
        @Override
        public void close() throws IOException {
            if (written == null) {
                return;
            }
            Path tmp;
            try {
                tmp = await();
            } catch (IOException | RuntimeException e) {
                return; // it deleted what it made
            }
            Files.deleteIfExists(tmp);
        }
    }
}
