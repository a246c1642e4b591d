package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.AtomicOutput;
import dev.virtchain.qcow2.io.DirectData;
import dev.virtchain.qcow2.io.ExtentCloner;
import dev.virtchain.qcow2.io.FileClone;
import dev.virtchain.qcow2.io.Positional;
import dev.virtchain.qcow2.io.Writeback;
import dev.virtchain.qcow2.io.Zeros;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.read.ReadAhead;
import dev.virtchain.qcow2.write.Compressor;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a whole chain into one standalone image of the top's virtual size. Only ranges that
 * some layer holds as data are read; clusters that read as zero are not written, so the output
 * stays sparse (raw output keeps holes). The output is written under a temporary name in the
 * destination's directory and renamed into place only when complete and flushed.
 */
public final class Flattener {
    /** Bytes read from the chain at once (qemu-img convert reads 2 MiB; 1 MiB with 8 in flight measured best). */
    private static final int CHUNK = 1 << 20;
    /**
     * Reads kept in flight ahead of the writer: a cold chain is mostly scattered reads in its
     * overlays, which a disk serves faster several at a time (qemu-img convert keeps 8 requests
     * in flight), and reading overlaps writing. Measured on a cold 3-layer chain: 8 x 1 MiB
     * beats 4 x 4 MiB and 4 x 2 MiB.
     */
    private static final int READS_IN_FLIGHT = 8;
    /**
     * Output writes in flight at once (see io.WriteBehind): 8 beat 4 and 0 (one at a time) on the bench VM; 0 turns it off. The system
     * property {@code virtchain.flatten.writesInFlight} overrides it, for measuring.
     */
    private static final int WRITES_IN_FLIGHT = Integer.getInteger("virtchain.flatten.writesInFlight", 8);
    /** Output bytes between starts of writeback (see {@link Writeback}); 64 MiB beat 32 and 256 MiB. */
    private static final long WRITEBACK_EVERY = 64L << 20;

    /**
     * What to write: {@code qcow2} or {@code raw}; compression applies to qcow2 only. With
     * {@code reflink} the output shares the extents of the chain's data where the file system can
     * (see {@link ClonePlan}), which needs uncompressed output with clusters of at least 4 KiB.
     */
    public record Options(String format, boolean compress, int compressionType, int clusterBits, boolean reflink) {
        public static Options qcow2() {
            return new Options("qcow2", false, Qcow2Header.COMPRESSION_ZLIB, CreateOptions.DEFAULT_CLUSTER_BITS, true);
        }

        public Options withFormat(String f) {
            return new Options(f, compress, compressionType, clusterBits, reflink);
        }

        public Options withCompression(boolean on, int type) {
            return new Options(format, on, type, clusterBits, reflink);
        }

        public Options withClusterBits(int bits) {
            return new Options(format, compress, compressionType, bits, reflink);
        }

        public Options withReflink(boolean on) {
            return new Options(format, compress, compressionType, clusterBits, on);
        }

        boolean raw() {
            return format.equals("raw");
        }

        /** The output's allocation unit: its cluster, or a 4 KiB block of a raw file. */
        long unit() {
            return raw() ? ClonePlan.BLOCK : 1L << clusterBits;
        }

        /** Whether any extent can be shared: compressed clusters have their own bytes, small clusters misalign. */
        boolean mayClone() {
            return reflink && (raw() || (!compress && clusterBits >= 12));
        }
    }

    private Flattener() {
    }

    /**
     * Flattens {@code src} into {@code dst}, which must not exist.
     *
     * @param progress told the guest bytes done so far, out of {@code src.virtualSize()}
     */
    public static void flatten(Image src, Path dst, Options o, Progress progress) throws IOException {
        flatten(src, dst, o, progress, FileClone::open);
    }

    /** As {@link #flatten(Image, Path, Options, Progress)}, cloning extents with {@code cloners}. */
    static void flatten(Image src, Path dst, Options o, Progress progress, ExtentCloner.Factory cloners)
            throws IOException {
        if (!o.format().equals("qcow2") && !o.raw()) {
            throw new ImageException(ErrorKind.UNSUPPORTED, dst.toString(), "output format '" + o.format()
                    + "' is not supported (qcow2 or raw)");
        }
        AtomicOutput out = AtomicOutput.to(dst);
        try (out) {
            Path tmp = out.temporary();
            long size = src.virtualSize();
            src.preferDirectReads(); // one pass over a chain that is usually cold: see Image
            List<MapEntry> map = ChainMap.map(src);
            List<Path> layers = dataFiles(src);
            ClonePlan plan = o.mayClone() ? ClonePlan.of(map, sizes(layers), o.unit(), size)
                    : ClonePlan.copyOnly(map, o.unit(), size);
            try (ExtentCloner cloner = plan.clones().isEmpty() ? null : cloners.open(tmp, layers)) {
                if (o.raw()) {
                    writeRaw(src, tmp, size, plan, cloner, progress);
                } else {
                    writeQcow2(src, tmp, o, size, plan, cloner, progress);
                }
            }
            out.commit();
        } catch (IOException e) {
            throw out.about(e); // the user named dst, never the temporary file
        }
    }

    /** The file holding each layer's data clusters, by depth: an external data file, or the layer's own. */
    static List<Path> dataFiles(Image top) {
        List<Path> out = new ArrayList<>();
        for (Image layer = top; layer != null; layer = layer.backing()) {
            Path data = layer instanceof Qcow2Image q ? q.dataFilePath() : null;
            out.add(data != null ? data : layer.path());
        }
        return out;
    }

    /** Each file's size, or -1 (clone nothing from it) when it cannot be told. */
    private static long[] sizes(List<Path> files) {
        long[] out = new long[files.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = Files.isRegularFile(files.get(i)) ? Files.size(files.get(i)) : -1;
            } catch (IOException e) {
                out[i] = -1;
            }
        }
        return out;
    }

    /** Where a flatten's data goes: the qcow2 writer or the raw file. */
    private interface Output {
        /** Writes guest data (a chunk read from the chain), leaving out what reads as zero. */
        void copy(long guest, ByteBuffer data) throws IOException;

        /** Clones a piece; false when the file system cannot, the piece then still to be copied. */
        boolean clone(ClonePlan.Piece piece) throws IOException;
    }

    /**
     * Clones and copies in guest order, so progress moves forward and the output's clusters lie in
     * guest order. The first clone the file system refuses turns the rest of the flatten into
     * copying, from that piece on: one refusal says the files cannot share extents, and trying
     * each piece again would only slow the copy down. Reading starts only when the first chunk
     * is due, so a file system that refuses the first clone wastes no read ahead of it.
     */
    private static void run(Image src, ClonePlan plan, int chunk, Output out, Writeback writeback, Progress progress)
            throws IOException {
        long size = src.virtualSize();
        List<ClonePlan.Piece> clones = plan.clones();
        List<long[]> reads = plan.reads();
        int next = 0;
        ReadAhead chunks = null;
        ReadAhead.Chunk c = null;
        try {
            while (true) {
                boolean readsDue = next >= clones.size()
                        || (!reads.isEmpty() && clones.get(next).guest() >= reads.get(0)[0]);
                if (chunks == null && readsDue) {
                    chunks = new ReadAhead(src, reads, chunk, READS_IN_FLIGHT);
                    c = chunks.next();
                }
                if (c == null && next >= clones.size()) {
                    break;
                }
                if (next < clones.size() && (c == null || clones.get(next).guest() < c.offset())) {
                    ClonePlan.Piece p = clones.get(next++);
                    if (out.clone(p)) {
                        progress.update(p.end(), size);
                        continue;
                    }
                    if (chunks != null) {
                        ReadAhead stale = chunks;
                        chunks = null;
                        c = null;
                        stale.close();
                    }
                    reads = plan.readsFrom(p.guest());
                    clones = List.of();
                    next = 0;
                    continue;
                }
                out.copy(c.offset(), c.data());
                writeback.wrote(c.data().limit());
                progress.update(c.offset() + c.data().limit(), size);
                c = chunks.next();
            }
        } finally {
            if (chunks != null) {
                chunks.close();
            }
        }
        progress.update(size, size);
    }

    /** Clones a piece's segments to the output from {@code destination} on; false at the first refusal. */
    private static boolean cloneSegments(ExtentCloner cloner, ClonePlan.Piece p, long destination) throws IOException {
        for (ClonePlan.Segment s : p.segments()) {
            if (!cloner.clone(s.depth(), s.sourceOffset(), s.length(), destination + (s.guest() - p.guest()))) {
                return false;
            }
        }
        return true;
    }

    private static void writeQcow2(Image src, Path tmp, Options o, long size, ClonePlan plan, ExtentCloner cloner,
            Progress progress) throws IOException {
        CreateOptions co = CreateOptions.of(size).withClusterBits(o.clusterBits())
                .withCompressionType(o.compress() ? o.compressionType() : Qcow2Header.COMPRESSION_ZLIB);
        int cs = 1 << o.clusterBits();
        try (Qcow2Writer w = Qcow2Writer.create(tmp, co);
                Compressor c = o.compress() ? new Compressor(o.compressionType()) : null;
                Writeback writeback = new Writeback(tmp, WRITEBACK_EVERY)) {
            w.directData(); // the output is fsynced before its rename anyway; see DirectData
            if (WRITES_IN_FLIGHT > 0) {
                w.writeBehind(WRITES_IN_FLIGHT); // every cluster of the new output is written once
            }
            byte[] packed = o.compress() ? new byte[cs] : null;
            run(src, plan, Math.max(CHUNK, cs), new Output() {
                @Override
                public void copy(long guest, ByteBuffer data) throws IOException {
                    writeNonZero(w, c, packed, data, guest, cs);
                }

                @Override
                public boolean clone(ClonePlan.Piece p) throws IOException {
                    // A refused piece is given back unmapped, so the copy path writes its data
                    // like any other and its zero clusters stay unallocated.
                    return w.writeFreshBy(p.guest(), (int) (p.length() / cs),
                            (host, length) -> cloneSegments(cloner, p, host));
                }
            }, writeback, progress);
        }
    }

    /** Writes the clusters of {@code buf} that are not all zero, compressed when asked. */
    private static void writeNonZero(Qcow2Writer w, Compressor c, byte[] packed, ByteBuffer buf, long pos, int cs)
            throws IOException {
        if (c == null) {
            forEachNonZeroRun(buf, cs, (off, len) -> w.write(pos + off, buf.slice(off, len)));
            return;
        }
        byte[] cluster = new byte[cs];
        forEachNonZeroRun(buf, cs, (runOff, runLen) -> {
            for (int off = runOff; off < runOff + runLen; off += cs) {
                int len = Math.min(cs, runOff + runLen - off);
                int n = -1;
                if (len == cs) {
                    buf.get(off, cluster, 0, cs);
                    n = c.compress(cluster, packed);
                }
                if (n > 0) {
                    w.writeCompressed(pos + off, packed, n);
                } else {
                    w.write(pos + off, buf.slice(off, len));
                }
            }
        });
    }

    /** A run of bytes within a buffer. */
    @FunctionalInterface
    interface RunSink {
        void accept(int offset, int length) throws IOException;
    }

    /** Calls {@code sink} for each maximal run of {@code unit}-sized pieces of {@code buf} that are not all zero. */
    static void forEachNonZeroRun(ByteBuffer buf, int unit, RunSink sink) throws IOException {
        int runStart = -1;
        int limit = buf.limit();
        for (int off = 0; off < limit; off += unit) {
            boolean zero = Zeros.isZero(buf.slice(off, Math.min(unit, limit - off)));
            if (!zero && runStart < 0) {
                runStart = off;
            } else if (zero && runStart >= 0) {
                sink.accept(runStart, off - runStart);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            sink.accept(runStart, limit - runStart);
        }
    }

    private static void writeRaw(Image src, Path tmp, long size, ClonePlan plan, ExtentCloner cloner,
            Progress progress) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            try (DirectData direct = DirectData.open(tmp);
                    Writeback writeback = new Writeback(tmp, WRITEBACK_EVERY)) {
                if (direct != null && WRITES_IN_FLIGHT > 0) {
                    direct.writeBehind(WRITES_IN_FLIGHT); // each block is written once; closed (drained) before the fsync
                }
                run(src, plan, CHUNK, new Output() {
                    @Override
                    public void copy(long guest, ByteBuffer buf) throws IOException {
                        forEachNonZeroRun(buf, 4096,
                                (off, len) -> DirectData.write(direct, ch, buf.slice(off, len), guest + off));
                    }

                    @Override
                    public boolean clone(ClonePlan.Piece p) throws IOException {
                        // Raw output holds guest offset x at file offset x. A refused piece is a hole except
                        // where it was cloned (with the right data), so the copy path can write into it.
                        return cloneSegments(cloner, p, p.guest());
                    }
                }, writeback, progress);
            }
            ch.truncate(size);
            if (ch.size() < size) {
                Positional.writeFully(ch, ByteBuffer.allocate(1), size - 1); // a hole up to the end, then one zero byte
            }
            ch.force(true);
        }
    }
}
