package dev.virtchain.chain.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random backup sets of full, inc, diff and copy backups, taken the way libvirt and the planner
 * take them, pruned by random policies in between and at the end, against a model: each file is a
 * map cluster -> version with a backing file, each point's content is what the guest held at its
 * time. Applying a plan's steps to the model must, after every single step, leave every kept point
 * reading exactly its content; at the end no file may be left that no kept point reads, the
 * records must name exactly the files, and the next inc and diff must find their checkpoints.
 *
 * <p>The guest writes random clusters of two disks between backups; now and then a disk is
 * added or removed (a disk the parent lacks is backed up in full inside an inc or diff, and an
 * inc may hold no disk of its parent at all). A full holds everything; an inc or
 * a diff holds the clusters that changed since its parent (for a diff, the chain's full), so its
 * content is its parent's overlaid by its file. Most incs build on the chain tip and most diffs on
 * the chain's base, as the planner does; the rest on a random backup whose checkpoint libvirt still
 * has, which grows branches anywhere in the chain. A full deletes every older checkpoint, as a
 * full backup does.
 */
class PrunePlanPropertyTest {
    private static final int CLUSTERS = 10;
    private static final List<Long> SIZES = List.of(1L << 20, 1L << 19, 2L << 20);
    private static final List<List<String>> DISK_SETS = List.of(List.of("vda"), List.of("vda", "vdb"),
            List.of("vdb"));
    private static final Instant START = Instant.parse("2024-10-20T00:00:00Z"); // before DST ends and a year ends

    enum Kind { FULL, INC, DIFF, COPY }

    sealed interface Event permits Take, Prune {
    }

    /**
     * A backup of {@code kind} taken {@code minutes} after the one before; the guest wrote
     * {@code writes} in between (below {@link #CLUSTERS} on vda, the rest on vdb), and its disks
     * became {@code DISK_SETS[disks]} (-1: they stayed). {@code pick} chooses the parent: below 70
     * as the planner does, else a random one. {@code resize}: the disks' size became
     * {@code SIZES[resize]} (-1: it stayed); a shrunk disk's older backups cannot take its data.
     */
    record Take(Kind kind, int minutes, List<Integer> writes, int disks, int pick, int resize) implements Event {
    }

    /** A prune, {@code nowMinutes} after the last backup (negative: the clock was set back). */
    record Prune(RetentionPolicy policy, int nowMinutes) implements Event {
    }

    record Scenario(ZoneId zone, List<Event> events, Prune last) {
    }

    @Property
    void everyKeptPointReadsTheSameAfterEveryStepAndNoUnreadFileIsLeft(@ForAll("scenarios") Scenario s)
            throws Exception {
        Model m = new Model(s.zone());
        for (Event e : s.events()) {
            if (e instanceof Take t) {
                m.take(t);
            } else {
                m.prune((Prune) e);
            }
        }
        m.prune(s.last());
    }

    /** Found by the property in CI: jqwik seed -7390136342018813619, shrunk. */
    @Example
    void aDiffAfterTwoPrunesFindsTheCheckpointOfTheChainBase() throws Exception {
        List<Event> events = new ArrayList<>();
        events.add(new Take(Kind.FULL, 1, List.of(), -1, 0, -1));
        for (int i = 0; i < 4; i++) {
            events.add(new Take(Kind.INC, 1, List.of(), -1, 0, -1));
        }
        events.add(new Take(Kind.INC, 17280, List.of(), -1, 0, -1));
        events.add(new Take(Kind.INC, 1, List.of(), -1, 73, -1));
        events.add(new Prune(new RetentionPolicy(0, 0, 0, 0, 3, 0, null), 0));
        events.add(new Prune(new RetentionPolicy(0, 0, 0, 2, 0, 0, null), 0));
        events.add(new Take(Kind.DIFF, 1, List.of(), -1, 0, -1));
        everyKeptPointReadsTheSameAfterEveryStepAndNoUnreadFileIsLeft(new Scenario(ZoneId.of("UTC"), events,
                new Prune(new RetentionPolicy(0, 0, 0, 0, 0, 0, null), 0)));
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<ZoneId> zones = Arbitraries.of("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                "Asia/Kolkata").map(ZoneId::of);
        Arbitrary<Event> events = Arbitraries.frequencyOf(Tuple.of(6, takes()), Tuple.of(1, prunes()));
        return Combinators.combine(zones, events.list().ofMaxSize(30), prunes()).as(Scenario::new);
    }

    private Arbitrary<Event> takes() {
        Arbitrary<Kind> kinds = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(Kind.FULL)),
                Tuple.of(8, Arbitraries.just(Kind.INC)), Tuple.of(3, Arbitraries.just(Kind.DIFF)),
                Tuple.of(1, Arbitraries.just(Kind.COPY)));
        Arbitrary<Integer> minutes = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(1, 90)),
                Tuple.of(4, Arbitraries.integers().between(1, 3).map(d -> d * 1440)),
                Tuple.of(2, Arbitraries.integers().between(5, 40).map(d -> d * 1440)));
        Arbitrary<List<Integer>> writes = Arbitraries.integers().between(0, 2 * CLUSTERS - 1).list().ofMaxSize(5);
        Arbitrary<Integer> disks = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(-1)),
                Tuple.of(1, Arbitraries.integers().between(0, DISK_SETS.size() - 1)));
        Arbitrary<Integer> resize = Arbitraries.frequencyOf(Tuple.of(12, Arbitraries.just(-1)),
                Tuple.of(1, Arbitraries.integers().between(0, SIZES.size() - 1)));
        return Combinators.combine(kinds, minutes, writes, disks, Arbitraries.integers().between(0, 99), resize)
                .as(Take::new);
    }

    private Arbitrary<Prune> prunes() {
        Arbitrary<Integer> count = Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.just(0)),
                Tuple.of(4, Arbitraries.integers().between(1, 4)), Tuple.of(1, Arbitraries.just(RetentionPolicy.UNLIMITED)));
        Arbitrary<Duration> within = Arbitraries.integers().between(1, 2000).map(h -> Duration.ofHours(h))
                .injectNull(0.7);
        Arbitrary<Integer> now = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.integers().between(0, 3000)),
                Tuple.of(1, Arbitraries.integers().between(-20000, -1)));
        return Combinators.combine(count, count, count, count, count, count, within, now)
                .as((l, h, d, w, mo, y, in, n) -> new Prune(new RetentionPolicy(l, h, d, w, mo, y, in), n));
    }

    /** A backup file: its clusters and the name of its backing file. */
    record ModelFile(Map<Integer, Integer> data, String backing) {
    }

    /** The guest, the domain's checkpoints, the directory's files and the manifest's records. */
    static final class Model {
        private final ZoneId zone;
        private final Map<String, Map<Integer, Integer>> guest = new HashMap<>(Map.of("vda", new HashMap<>(),
                "vdb", new HashMap<>()));
        private int version;
        private List<String> disks = DISK_SETS.get(1);
        private long size = SIZES.get(0);
        private Instant clock = START;
        private final TreeMap<Integer, Backup> records = new TreeMap<>();
        private final Set<Integer> bases = new TreeSet<>();
        /** What each point read, per disk, when it was taken. */
        private final Map<Integer, Map<String, Map<Integer, Integer>>> content = new HashMap<>();
        private final Map<String, ModelFile> files = new HashMap<>();
        private final Set<String> checkpoints = new HashSet<>();

        Model(ZoneId zone) {
            this.zone = zone;
        }

        void take(Take t) {
            clock = clock.plus(Duration.ofMinutes(t.minutes()));
            for (int w : t.writes()) {
                guest.get(w < CLUSTERS ? "vda" : "vdb").put(w % CLUSTERS, ++version);
            }
            if (t.disks() >= 0) {
                disks = DISK_SETS.get(t.disks());
            }
            if (t.resize() >= 0) {
                size = SIZES.get(t.resize());
            }
            Backup parent = switch (t.kind()) {
                case INC -> t.pick() < 70 ? tipForInc() : random(t.pick(), false);
                case DIFF -> t.pick() < 70 ? baseForDiff() : random(t.pick(), true);
                default -> null;
            };
            Level level = parent == null ? (t.kind() == Kind.COPY ? Level.COPY : Level.FULL)
                    : Level.valueOf(t.kind().name());
            int seq = records.isEmpty() ? 0 : records.lastKey() + 1;
            List<DiskBackup> taken = new ArrayList<>();
            Map<String, Map<Integer, Integer>> now = new HashMap<>();
            for (String target : disks) {
                String file = Naming.diskFile(target, seq, level);
                Map<Integer, Integer> g = guest.get(target);
                DiskBackup below = parent == null ? null : parent.disk(target).orElse(null);
                Map<Integer, Integer> data = new HashMap<>(g);
                if (below != null) {
                    data.entrySet().removeIf(e -> e.getValue().equals(content.get(parent.seq()).get(target)
                            .get(e.getKey())));
                }
                Checksum sum = new Checksum(Checksum.CRC32C, "00000000");
                taken.add(below == null ? new DiskBackup(target, file, size, null, 0, sum, DiskMode.FULL)
                        : new DiskBackup(target, file, size, below.file(), 0, sum, DiskMode.INCREMENTAL));
                files.put(file, new ModelFile(data, below == null ? null : below.file()));
                now.put(target, Map.copyOf(g));
            }
            String checkpoint = level == Level.COPY ? null : Naming.checkpointName(SetBuilder.SET, seq);
            if (level == Level.FULL) {
                checkpoints.clear(); // a full retires every older checkpoint
            }
            if (checkpoint != null) {
                checkpoints.add(checkpoint);
            }
            records.put(seq, new Backup(seq, level, clock, checkpoint, parent == null ? null : parent.seq(), taken));
            content.put(seq, now);
        }

        /** The planner's inc parent: the newest full, inc or diff, whose checkpoint must still be there. */
        private Backup tipForInc() {
            Backup tip = tip();
            if (tip != null) {
                assertTrue(checkpoints.contains(tip.checkpoint()), "the next inc finds the chain tip's checkpoint");
            }
            return tip;
        }

        /** The planner's diff parent: the full at the base of the tip's chain, with its checkpoint. */
        private Backup baseForDiff() {
            Backup b = tip();
            if (b == null) {
                return null;
            }
            while (b.parentSeq() != null) {
                b = records.get(b.parentSeq());
            }
            assertEquals(Level.FULL, b.level(), "the chain's base is a full backup");
            assertTrue(checkpoints.contains(b.checkpoint()), "the next diff finds the chain base's checkpoint");
            return b;
        }

        private Backup tip() {
            Backup tip = null;
            for (Backup b : records.values()) {
                if (b.level() != Level.COPY && !bases.contains(b.seq())) {
                    tip = b;
                }
            }
            return tip;
        }

        /** A restore point (or, for a diff, any full) whose checkpoint libvirt still has. */
        private Backup random(int pick, boolean full) {
            List<Backup> ok = records.values().stream()
                    .filter(b -> b.checkpoint() != null && checkpoints.contains(b.checkpoint()))
                    .filter(b -> full ? b.level() == Level.FULL : !bases.contains(b.seq())).toList();
            return ok.isEmpty() ? null : ok.get(pick % ok.size());
        }

        void prune(Prune p) throws Exception {
            Manifest manifest = new Manifest(SetBuilder.SET, SetBuilder.VM, new ArrayList<>(records.values()));
            Clock now = Clock.fixed(clock.plus(Duration.ofMinutes(p.nowMinutes())), zone);
            Map<String, Long> sizes = new HashMap<>();
            files.forEach((name, f) -> sizes.put(name, 10L * f.data().size() + 1));
            if (p.policy().isEmpty()) {
                assertThrows(PolicyException.class, () -> PrunePlan.of(manifest, bases, p.policy(), now, sizes));
                return;
            }
            PrunePlan plan = PrunePlan.of(manifest, bases, p.policy(), now, sizes);
            Set<Integer> kept = Set.copyOf(plan.kept());
            Set<Integer> listed = new TreeSet<>(records.keySet());
            listed.removeAll(bases);
            Backup tip = tip();
            if (!listed.isEmpty()) {
                assertTrue(kept.contains(((TreeSet<Integer>) listed).last()), "the newest is kept");
                assertTrue(tip == null || kept.contains(tip.seq()), "the chain tip is kept");
            }
            Map<String, Map<Integer, Integer>> reads = new HashMap<>();
            for (int k : kept) {
                for (DiskBackup d : records.get(k).disks()) {
                    reads.put(d.file(), content.get(k).get(d.target()));
                }
            }
            Set<String> merged = new HashSet<>();
            for (PruneStep step : plan.steps()) {
                apply(step, listed, kept, merged);
                reads.forEach((file, expected) -> assertEquals(expected, view(file), file + " after " + step));
            }
            Statistics.label("fates").collect(plan.points().stream().map(d -> d.fate().word()).sorted().distinct()
                    .toList());
            Statistics.label("a base from an earlier prune").collect(plan.points().stream()
                    .filter(d -> !d.listed()).map(d -> d.fate() == PointFate.BASE ? "stays" : "goes").sorted()
                    .distinct().toList());
            checkDone(plan, kept, reads.keySet());
        }

        private void apply(PruneStep step, Set<Integer> listedBefore, Set<Integer> kept, Set<String> merged) {
            boolean touchesFiles = step instanceof PruneStep.Commit || step instanceof PruneStep.Rename
                    || step instanceof PruneStep.DeleteFile;
            if (touchesFiles) {
                for (int seq : records.keySet()) {
                    assertTrue(bases.contains(seq) || kept.contains(seq), "backup " + seq
                            + " is dropped but still listed when files change");
                }
            }
            if (step instanceof PruneStep.Commit c) {
                String at = c.top();
                for (String f : c.through()) {
                    assertEquals(f, file(at).backing(), "the commit's line");
                    at = f;
                }
                assertEquals(c.into(), file(at).backing(), "the commit's line ends at its base");
                assertTrue(recordOf(c.into()).virtualSize() <= c.virtualSize(), c.into() + " is no larger than "
                        + c.top() + ": a commit never shrinks a file");
                Map<Integer, Integer> data = new HashMap<>(file(c.into()).data());
                for (int i = c.through().size() - 1; i >= 0; i--) {
                    data.putAll(file(c.through().get(i)).data());
                }
                data.putAll(file(c.top()).data());
                files.put(c.into(), new ModelFile(data, file(c.into()).backing()));
                assertTrue(merged.add(c.top()), c.top() + " is copied once");
                for (String f : c.through()) {
                    assertTrue(merged.add(f), f + " is copied once");
                }
            } else if (step instanceof PruneStep.Rename r) {
                file(r.to());
                files.put(r.to(), file(r.from()));
                files.remove(r.from());
            } else if (step instanceof PruneStep.DeleteFile d) {
                assertNotNull(files.remove(d.file()), d.file() + " exists when deleted");
            } else if (step instanceof PruneStep.DeleteSavedFiles d) {
                assertTrue(listedBefore.contains(d.seq()) && !kept.contains(d.seq()), "saved files of a dropped point");
            } else if (step instanceof PruneStep.DeleteCheckpoint d) {
                for (int k : kept) {
                    assertFalse(d.checkpoint().equals(records.get(k).checkpoint()), "a kept point's checkpoint");
                }
                checkpoints.remove(d.checkpoint());
            } else {
                for (ManifestChange c : ((PruneStep.ManifestUpdate) step).changes()) {
                    if (c instanceof ManifestChange.Unlist u) {
                        assertTrue(records.containsKey(u.seq()) && bases.add(u.seq()), "unlist a listed backup");
                    } else if (c instanceof ManifestChange.Forget f) {
                        assertNotNull(records.remove(f.seq()), "forget a record");
                        bases.remove(f.seq());
                        content.remove(f.seq());
                    } else {
                        Backup after = ((ManifestChange.Rewrite) c).after();
                        assertNotNull(records.put(after.seq(), after), "rewrite a record");
                    }
                }
                new Manifest(SetBuilder.SET, SetBuilder.VM, new ArrayList<>(records.values())); // the rules hold
                Set<String> named = new HashSet<>();
                for (Backup b : records.values()) {
                    for (DiskBackup d : b.disks()) {
                        assertEquals(d.backingFile(), file(d.file()).backing(), "the record's link is the file's");
                        named.add(d.file());
                    }
                }
                assertEquals(files.keySet(), named, "after an update the records name exactly the files");
            }
        }

        private void checkDone(PrunePlan plan, Set<Integer> kept, Set<String> keptFiles) {
            Set<String> read = new HashSet<>();
            for (String f : keptFiles) {
                for (String at = f; at != null; at = file(at).backing()) {
                    read.add(at);
                }
            }
            assertEquals(read, files.keySet(), "every file left is read by a kept point, and no more");
            Set<String> named = new HashSet<>();
            for (Backup b : records.values()) {
                b.disks().forEach(d -> named.add(d.file()));
            }
            assertEquals(files.keySet(), named, "the records name exactly the files");
            Set<Integer> listed = new TreeSet<>(records.keySet());
            listed.removeAll(bases);
            assertEquals(kept, listed, "the kept points are the restore points");
            for (int base : bases) {
                long readers = records.values().stream().filter(r -> r.parentSeq() != null && r.parentSeq() == base)
                        .filter(r -> r.disks().stream().anyMatch(d -> d.mode() == DiskMode.INCREMENTAL)).count();
                boolean larger = records.values().stream().filter(r -> r.parentSeq() != null && r.parentSeq() == base)
                        .anyMatch(r -> r.disks().stream().anyMatch(d -> d.mode() == DiskMode.INCREMENTAL
                                && records.get(base).disk(d.target()).orElseThrow().virtualSize() > d.virtualSize()));
                assertTrue(readers >= 2 || readers == 1 && larger, "base " + base
                        + " stays only while two or more read it, or its one reader is smaller");
            }
            Backup tip = tip();
            for (Backup b = tip; b != null; b = b.parentSeq() == null ? null : records.get(b.parentSeq())) {
                assertTrue(checkpoints.contains(b.checkpoint()), "backup " + b.seq() + " under the chain tip "
                        + tip.seq() + " keeps its checkpoint: a later prune may make it the chain's base");
            }
            assertEquals(plan.recordsAfter(), new ArrayList<>(records.values()));
            assertEquals(plan.basesAfter(), bases);
        }

        private DiskBackup recordOf(String file) {
            return records.values().stream().flatMap(b -> b.disks().stream()).filter(d -> d.file().equals(file))
                    .findFirst().orElseThrow(() -> new AssertionError(file + " has a record"));
        }

        private ModelFile file(String name) {
            ModelFile f = files.get(name);
            assertNotNull(f, name + " exists");
            return f;
        }

        /** What a qcow2 reader sees through {@code name} and its backing files. */
        private Map<Integer, Integer> view(String name) {
            List<ModelFile> line = new ArrayList<>();
            for (String at = name; at != null; at = file(at).backing()) {
                line.add(file(at));
                assertTrue(line.size() < 1000, "a loop of backing links at " + name);
            }
            Map<Integer, Integer> v = new HashMap<>();
            for (int i = line.size() - 1; i >= 0; i--) {
                v.putAll(line.get(i).data());
            }
            return v;
        }
    }
}
