package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who reads which file once a set of points is kept, and from that each backup's fate. Files are
 * what the manifest names; a file's backing file is its disk's file in the parent backup (the
 * manifest guarantees the link). Dependencies are counted per backup, not per file: a backup whose
 * files two backups read stays whole as a base even where one of its disks has a single reader (a
 * disk removed from the domain), because a backup's record has one parent for all its disks.
 */
final class Dependencies {
    private final SortedMap<Integer, Backup> records;
    private final Set<Integer> kept;
    /** Files some kept point reads: its own and, down its backing links, each one below. */
    private final Set<String> needed = new HashSet<>();
    /** Per backup whose files are needed, the backups whose needed files link to its files. */
    private final SortedMap<Integer, List<Integer>> readers = new TreeMap<>();
    private final SortedMap<Integer, PointFate> fates = new TreeMap<>();

    Dependencies(SortedMap<Integer, Backup> records, Set<Integer> kept) {
        this.records = records;
        this.kept = Set.copyOf(kept);
        for (int k : kept) {
            Backup b = records.get(k);
            for (DiskBackup d : b.disks()) {
                walk(b, d);
            }
        }
        for (Backup b : records.values()) {
            if (b.parentSeq() != null && readsParent(b)) {
                readers.computeIfAbsent(b.parentSeq(), s -> new ArrayList<>()).add(b.seq());
            }
        }
        // Newest first: a backup's reader (always newer) has its fate, and its run's top, already.
        List<Backup> newestFirst = new ArrayList<>(records.values());
        Collections.reverse(newestFirst);
        for (Backup b : newestFirst) {
            fates.put(b.seq(), fate(b));
        }
    }

    private void walk(Backup b, DiskBackup d) {
        needed.add(d.file());
        while (d.mode() == DiskMode.INCREMENTAL) {
            b = records.get(b.parentSeq());
            d = b.disk(d.target()).orElseThrow();
            needed.add(d.file());
        }
    }

    /** Whether a kept point reads {@code b}'s parent's files through {@code b}'s. */
    private boolean readsParent(Backup b) {
        return b.disks().stream().anyMatch(d -> d.mode() == DiskMode.INCREMENTAL && needed.contains(d.file()));
    }

    private PointFate fate(Backup b) {
        if (kept.contains(b.seq())) {
            return PointFate.KEEP;
        }
        if (b.disks().stream().noneMatch(d -> needed.contains(d.file()))) {
            return PointFate.DELETE;
        }
        List<Integer> r = readers(b.seq());
        if (r.isEmpty()) {
            throw new IllegalStateException("backup " + b.seq() + " has needed files but no reader");
        }
        if (r.size() > 1) {
            return PointFate.BASE;
        }
        Backup top = records.get(r.get(0));
        while (fates.get(top.seq()) == PointFate.MERGE) {
            top = records.get(readers(top.seq()).get(0));
        }
        return largerThan(b, top) ? PointFate.BASE : PointFate.MERGE;
    }

    /**
     * Whether a disk of {@code b} is larger than the same disk of {@code top}, the kept point or
     * base its run is merged into (the disk was shrunk in between). Merging commits the run into
     * its lowest file, and a commit grows a file but never shrinks it: such a backup stays as a base
     * instead, and the run above it ends there.
     */
    private static boolean largerThan(Backup b, Backup top) {
        for (DiskBackup d : top.disks()) {
            if (d.mode() == DiskMode.INCREMENTAL
                    && b.disk(d.target()).map(below -> below.virtualSize() > d.virtualSize()).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    boolean needed(String file) {
        return needed.contains(file);
    }

    PointFate fate(int seq) {
        return fates.get(seq);
    }

    Map<Integer, PointFate> fates() {
        return fates;
    }

    /** The backups whose needed files read {@code seq}'s files, in seq order. */
    List<Integer> readers(int seq) {
        return readers.getOrDefault(seq, List.of());
    }

    /**
     * The backups to merge into {@code top} (a kept point or a base), from its parent down: the
     * longest line of {@link PointFate#MERGE} backups below it, each read by the one above alone.
     * Empty when its parent stays (or it has none).
     */
    List<Integer> run(int top) {
        List<Integer> run = new ArrayList<>();
        int above = top;
        Integer below = records.get(top).parentSeq();
        while (below != null && fates.get(below) == PointFate.MERGE && readers(below).equals(List.of(above))) {
            run.add(below);
            above = below;
            below = records.get(below).parentSeq();
        }
        return run;
    }

    /** The backups whose files are merged into others, mapped to the backup they end up in. */
    Map<Integer, Integer> mergedInto() {
        Map<Integer, Integer> into = new TreeMap<>();
        for (Map.Entry<Integer, PointFate> e : fates.entrySet()) {
            if (e.getValue() == PointFate.KEEP || e.getValue() == PointFate.BASE) {
                for (int s : run(e.getKey())) {
                    into.put(s, e.getKey());
                }
            }
        }
        return into;
    }
}
