package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.read.ChainMap;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a flatten into what the output can share with the chain's files (clones) and what it
 * must read and write (reads). A guest range can be cloned when one layer holds it as plain data
 * at a known host offset (not compressed, not reading as zero) that is congruent to the guest
 * offset modulo 4 KiB, since the kernel clones whole file-system blocks only. The output takes
 * clones in whole units: its clusters for qcow2 (one unit may be made of several layers'
 * pieces), 4 KiB blocks for raw. Everything else some layer holds as data is read.
 *
 * @param clones pieces to clone, in guest order
 * @param data   every guest range some layer holds as data, widened to the unit and merged
 * @param reads  {@code data} less the clones: what the copy path reads
 */
record ClonePlan(List<Piece> clones, List<long[]> data, List<long[]> reads) {
    /** The alignment FICLONERANGE needs: the file-system block, 4 KiB on XFS and btrfs as usually made. */
    static final long BLOCK = 4096;
    /** Longest piece: long enough to clone a big base in few calls, short enough for a moving progress meter. */
    static final long MAX_PIECE = 64L << 20;

    /** The bytes at {@code sourceOffset} of the data file of the layer at {@code depth}, shown at guest {@code guest}. */
    record Segment(int depth, long sourceOffset, long guest, long length) {
        long end() {
            return guest + length;
        }
    }

    /** Whole output units from {@code guest}, covered without gaps by {@code segments} in guest order. */
    record Piece(long guest, long length, List<Segment> segments) {
        long end() {
            return guest + length;
        }
    }

    /**
     * @param map         the chain's allocation map ({@link ChainMap#map})
     * @param sourceSizes the size of each layer's data file by depth, or -1 where that layer is not
     *                    to be cloned from ({@link #copyOnly} for a plan that clones nothing)
     * @param unit        the output's cluster size (at least 4 KiB) or 4 KiB for raw output
     */
    static ClonePlan of(List<MapEntry> map, long[] sourceSizes, long unit, long virtualSize) {
        if (unit % BLOCK != 0 || MAX_PIECE % unit != 0) {
            throw new IllegalArgumentException("clone unit " + unit + " is not a multiple of " + BLOCK);
        }
        List<long[]> data = dataRanges(map, unit, virtualSize);
        List<Piece> clones = pieces(segments(map, sourceSizes, virtualSize), unit);
        return new ClonePlan(clones, data, subtract(data, clones));
    }

    /** The plan with nothing cloned: everything some layer holds as data is read. */
    static ClonePlan copyOnly(List<MapEntry> map, long unit, long virtualSize) {
        List<long[]> data = dataRanges(map, unit, virtualSize);
        return new ClonePlan(List.of(), data, data);
    }

    /** What is left to read when cloning stops at {@code guest}: all data from there on. */
    List<long[]> readsFrom(long guest) {
        List<long[]> out = new ArrayList<>();
        for (long[] r : data) {
            if (r[1] > guest) {
                out.add(new long[] {Math.max(r[0], guest), r[1]});
            }
        }
        return out;
    }

    /** Guest ranges some layer holds as data, widened to {@code unit} and merged. */
    static List<long[]> dataRanges(List<MapEntry> map, long unit, long virtualSize) {
        List<long[]> out = new ArrayList<>();
        for (MapEntry e : map) {
            if (!e.data()) {
                continue;
            }
            long start = e.start() & ~(unit - 1);
            long end = Math.min(virtualSize, (e.start() + e.length() + unit - 1) & ~(unit - 1));
            if (!out.isEmpty() && out.get(out.size() - 1)[1] >= start) {
                out.get(out.size() - 1)[1] = Math.max(out.get(out.size() - 1)[1], end);
            } else {
                out.add(new long[] {start, end});
            }
        }
        return out;
    }

    /** The 4 KiB-aligned parts of plain data entries that lie within their source file and the virtual size. */
    static List<Segment> segments(List<MapEntry> map, long[] sourceSizes, long virtualSize) {
        List<Segment> out = new ArrayList<>();
        for (MapEntry e : map) {
            int d = e.depth();
            if (!e.data() || e.zero() || !e.hasOffset() || d >= sourceSizes.length || sourceSizes[d] < 0
                    || Math.floorMod(e.offset() - e.start(), BLOCK) != 0) {
                continue;
            }
            long start = alignUp(e.start(), BLOCK);
            // A partial block at the source's end clones only onto the destination's end: copy it instead.
            long end = Math.min(e.start() + e.length(), e.start() + (sourceSizes[d] - e.offset()));
            end = Math.min(end, virtualSize) & ~(BLOCK - 1);
            if (end > start) {
                out.add(new Segment(d, e.offset() + (start - e.start()), start, end - start));
            }
        }
        return out;
    }

    /** Whole units covered without gaps by segments, cut at {@link #MAX_PIECE}, their segments merged where contiguous. */
    static List<Piece> pieces(List<Segment> segments, long unit) {
        List<Piece> out = new ArrayList<>();
        int i = 0;
        while (i < segments.size()) {
            int j = i + 1;
            while (j < segments.size() && segments.get(j).guest() == segments.get(j - 1).end()) {
                j++;
            }
            List<Segment> run = segments.subList(i, j);
            long start = alignUp(run.get(0).guest(), unit);
            long end = run.get(run.size() - 1).end() & ~(unit - 1);
            for (long p = start; p < end; p += MAX_PIECE) {
                long q = Math.min(end, p + MAX_PIECE);
                out.add(new Piece(p, q - p, clip(run, p, q)));
            }
            i = j;
        }
        return out;
    }

    /** The parts of {@code run} within {@code [from, to)}, neighbours in the same file merged. */
    private static List<Segment> clip(List<Segment> run, long from, long to) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : run) {
            long a = Math.max(s.guest(), from);
            long b = Math.min(s.end(), to);
            if (a >= b) {
                continue;
            }
            long src = s.sourceOffset() + (a - s.guest());
            Segment last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.depth() == s.depth() && last.sourceOffset() + last.length() == src) {
                out.set(out.size() - 1, new Segment(last.depth(), last.sourceOffset(), last.guest(), last.length() + b - a));
            } else {
                out.add(new Segment(s.depth(), src, a, b - a));
            }
        }
        return out;
    }

    /** {@code ranges} less the pieces; both sorted, the pieces each inside one range. */
    private static List<long[]> subtract(List<long[]> ranges, List<Piece> pieces) {
        List<long[]> out = new ArrayList<>();
        int k = 0;
        for (long[] r : ranges) {
            long pos = r[0];
            while (k < pieces.size() && pieces.get(k).guest() < r[1]) {
                Piece p = pieces.get(k++);
                if (p.guest() > pos) {
                    out.add(new long[] {pos, p.guest()});
                }
                pos = Math.max(pos, p.end());
            }
            if (pos < r[1]) {
                out.add(new long[] {pos, r[1]});
            }
        }
        return out;
    }

    private static long alignUp(long v, long unit) {
        return (v + unit - 1) & ~(unit - 1);
    }
}
