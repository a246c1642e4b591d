package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.backup.BackupOptions;
import dev.virtchain.app.backup.BackupReport;
import dev.virtchain.app.backup.BackupRun;
import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.prune.LibvirtCheckpointCleaner;
import dev.virtchain.app.prune.Prune;
import dev.virtchain.app.prune.PruneRun;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DirectoryLock;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskMode;
import dev.virtchain.chain.Level;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A simulated stretch of nightly backups of one running test guest, pruned after every backup,
 * judged by qemu-img (docs/DESIGN.md, "Retention: prune"). {@link BackupRun} and {@link PruneRun}
 * run in the test JVM on the test's own libvirt connection, with a clock the test sets: backup
 * {@code d} is stamped day {@code d} 01:00 UTC from 2026-01-01 (a Thursday), and the prune after it
 * counts periods in UTC at 01:05 the same day. So a year passes in as many backups as it has
 * nights, each costing what one small backup and prune cost.
 *
 * <p>The schedule: a full on day 0, a diff every Sunday, an inc every other night. Before each
 * backup the guest's one disk ({@value #SIZE_MIB} MiB) gets a few writes through qemu's block
 * layer (HMP qemu-io, so the dirty bitmaps see them): data on most days, a zero write every fifth
 * day, a discard every seventh, then a flush. The guest stays paused all along (its vCPU never
 * runs: an OS-less TCG guest would only spin in its firmware, on a shared 2-core machine): the
 * writes are the only changes to its disk, the backups are ordinary push backups of a paused
 * domain, and after each one the disk is copied with qemu-img convert: the capture of that
 * point, kept only while the point is a restore point.
 *
 * <p>What is checked, every day:
 * <ul>
 * <li>the backup is the level the schedule asks for, builds on the chain tip (inc) or the chain's
 *     base (diff), and holds exactly the clusters written since that backup (qemu-img map): an inc
 *     or diff taken after a prune is as exact as one taken before any;</li>
 * <li>the restore points after the prune are the ones restic's rules name for the backups taken so
 *     far (computed here independently of the planner);</li>
 * <li>every qcow2 file in the directory passes qemu-img check, and the files are exactly the ones
 *     the manifest names; the saved domain XML exists for restore points only;</li>
 * <li>every restore point's backing chain (qemu-img info --backing-chain) is the manifest's chain
 *     of it, all of it files of the manifest, and qemu-img compare finds it equal to its capture;</li>
 * <li>libvirt's checkpoint list is the checkpoints the manifest's records carry (restore points
 *     and the bases kept for them), and so is checkpoints/;</li>
 * <li>the files and bytes in the directory stay under {@link #fileBound} and {@link #byteBound}.</li>
 * </ul>
 * A qemu-img verdict on a file (check) or a point (chain and compare) is kept while the files it
 * covered are unchanged (same inode, size and modification time; backup files are read-only), and
 * renewed the day any of them changes: a prune's merge rewrites a file and renames it over the
 * point above, which changes the chains of every point that reads it, and those are judged again
 * that day. This is what keeps a day at a few qemu-img runs instead of one per file and point.
 */
final class PruneYear {
    static final int SIZE_MIB = 16;
    static final long SIZE = (long) SIZE_MIB << 20;
    static final long CLUSTER = 64L << 10;
    static final long CLUSTERS = SIZE / CLUSTER;
    static final LocalDate START = LocalDate.of(2026, 1, 1);
    static final int KEEP_DAILY = 7;
    static final int KEEP_WEEKLY = 4;
    static final int KEEP_MONTHLY = 12;
    static final RetentionPolicy POLICY = RetentionPolicy.NONE.withKeepDaily(KEEP_DAILY).withKeepWeekly(KEEP_WEEKLY)
            .withKeepMonthly(KEEP_MONTHLY);
    /** The qcow2 metadata a backup file holds besides data: header, L1 table, refcount table and block, L2 table. */
    static final long METADATA = 5 * CLUSTER;

    /**
     * Files in the directory at most, per disk: every rule keeps at most its count of restore points
     * (the oldest backup it keeps when it finds fewer periods is one of those), the newest backup
     * is also the day's, and in this schedule only the full can have two readers and stay as a base
     * (a diff is read by the next night's inc alone).
     */
    static int fileBound() {
        return KEEP_DAILY + KEEP_WEEKLY + KEEP_MONTHLY + 1;
    }

    /** Bytes of backup files at most: {@link #fileBound} files, none holding more than the disk and its metadata. */
    static long byteBound() {
        return fileBound() * (SIZE + METADATA);
    }

    /**
     * Temporary directories in memory (/dev/shm, a tmpfs) where the machine has one, for the backup
     * directory and the captures: a simulated year fsyncs its manifest and files a few thousand
     * times, which on a shared disk costs more than everything else a night does, and durability is
     * not what this test is about (DurableBackupIT and the prune crash tests are). Elsewhere
     * java.io.tmpdir. Not for libvirt's root or the guest's disks: libvirt moves /dev/shm into the
     * domain's mount namespace and cannot start a guest whose files are below it.
     */
    static final class InMemory implements org.junit.jupiter.api.io.TempDirFactory {
        @Override
        public Path createTempDirectory(org.junit.jupiter.api.extension.AnnotatedElementContext element,
                org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "junit")
                    : Files.createTempDirectory("junit");
        }
    }

    /** A clock the test moves: BackupRun stamps backups with it, the prune counts periods by it. */
    static final class SimClock extends Clock {
        private volatile Instant now;

        SimClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            if (!zone.equals(ZoneOffset.UTC)) {
                throw new UnsupportedOperationException("the simulated clock is UTC");
            }
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** What a simulated stretch measured. */
    record Figures(int days, Duration elapsed, int maxFiles, long maxBytes, int files, long bytes,
            int restorePoints, int bases, int merges, int qemuImgRuns) {
        String text() {
            return String.format("%d nights in %.1f s (%.0f ms a night, %d qemu-img runs); at the end %d restore "
                            + "points, %d base(s), %d files, %.1f MiB; at most %d files and %.1f MiB on any night "
                            + "(bound: %d files, %.1f MiB); %d merges", days, elapsed.toMillis() / 1000.0,
                    elapsed.toMillis() / (double) days, qemuImgRuns, restorePoints, bases, files, bytes / 1048576.0,
                    maxFiles, maxBytes / 1048576.0, fileBound(), byteBound() / 1048576.0, merges);
        }
    }

    private final Hypervisor hv;
    private final TestGuest g;
    private final Path out;
    private final Path captures;
    private final String qom;
    private final SimClock clock = new SimClock(START.atStartOfDay(ZoneOffset.UTC).toInstant());
    /** Per backup still in the manifest: the clusters written since it, which an inc or diff on it must hold. */
    private final Map<Integer, Set<Long>> dirtySince = new TreeMap<>();
    /** The files qemu-img check passed, with the fingerprint they had then. */
    private final Map<String, List<Object>> checked = new HashMap<>();
    /** The restore points qemu-img judged (chain and compare), with their chain's fingerprints then. */
    private final Map<Integer, List<Object>> judged = new HashMap<>();
    /** The warnings of the last backup. */
    List<String> warnings = List.of();
    private int qemuImgRuns;
    private int merges;
    private int maxFiles;
    private long maxBytes;

    PruneYear(Hypervisor hv, TestGuest g, Path work) throws Exception {
        this.hv = hv;
        this.g = g;
        this.out = work.resolve("backup");
        this.captures = Files.createDirectories(work.resolve("captures"));
        this.qom = new GuestDisks(hv, g.name()).qomPath("vda");
        hv.suspend(g.name());
    }

    Path dir() {
        return out;
    }

    /** A night with a backup: days after {@link #START}, and the level. */
    record Night(int day, Level level) {
        LocalDate date() {
            return START.plusDays(day);
        }
    }

    /** A backup every night from day 0 to {@code days - 1}: the full on day 0, a diff on Sundays, an inc otherwise. */
    static List<Night> nightly(int days) {
        List<Night> nights = new ArrayList<>();
        for (int day = 0; day < days; day++) {
            nights.add(new Night(day, day == 0 ? Level.FULL
                    : START.plusDays(day).getDayOfWeek() == DayOfWeek.SUNDAY ? Level.DIFF : Level.INC));
        }
        return nights;
    }

    /**
     * All of 2026 with a backup on {@code nights} nights: the full on January 1; until October, on
     * Sunday nights only, a diff on a month's first Sunday and an inc on the others; from November 1
     * (a Sunday) every night, a diff on Sundays and an inc otherwise.
     */
    static List<Night> sundaysThenNightly() {
        List<Night> nights = new ArrayList<>();
        LocalDate nightly = LocalDate.of(2026, 11, 1);
        for (int day = 0; START.plusDays(day).getYear() == 2026; day++) {
            LocalDate d = START.plusDays(day);
            boolean sunday = d.getDayOfWeek() == DayOfWeek.SUNDAY;
            if (day == 0) {
                nights.add(new Night(day, Level.FULL));
            } else if (d.isBefore(nightly)) {
                if (sunday) {
                    nights.add(new Night(day, d.getDayOfMonth() <= 7 ? Level.DIFF : Level.INC));
                }
            } else {
                nights.add(new Night(day, sunday ? Level.DIFF : Level.INC));
            }
        }
        return nights;
    }

    /** Runs {@code nights}, backup {@code i} on night {@code i}, and returns what they measured. */
    Figures run(List<Night> nights) throws Exception {
        long t0 = System.nanoTime();
        for (int seq = 0; seq < nights.size(); seq++) {
            night(nights, seq);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        Manifest m = ManifestFile.load(out);
        return new Figures(nights.size(), elapsed, maxFiles, maxBytes, qcow2Files().size(), qcow2Bytes(),
                m.restorePoints().size(), m.bases().size(), merges, qemuImgRuns);
    }

    /** The writes before backup {@code seq} of {@code nights}, then the backup, then the prune, each judged. */
    void night(List<Night> nights, int seq) throws Exception {
        Night n = nights.get(seq);
        int day = n.day();
        String at = "backup " + seq + " (" + n.date() + ", " + n.level().word() + ")";
        long t = System.nanoTime();
        backupNight(seq, day, n.level(), at);
        assertEquals(List.of(), warnings, at);
        t = System.nanoTime();
        prune(day, at);
        t = lap(3, t);
        judgeDirectory(at, expectedRestorePoints(nights, seq), true);
        lap(4, t);
    }

    /** Night {@code day}'s writes and its backup at {@code level}, judged as {@link #judgeNewBackup} says. */
    Backup backupNight(int seq, int day, Level level, String at) throws Exception {
        long t = System.nanoTime();
        write(day);
        Manifest before = ManifestFile.read(out).orElse(null);
        t = lap(0, t);
        Backup b = backup(seq, day, level, at);
        t = lap(1, t);
        judgeNewBackup(before, b, at);
        dirtySince.put(b.seq(), new TreeSet<>());
        lap(2, t);
        return b;
    }

    /** Where a night's time goes: writes, backup and capture, the new backup's map, prune, the directory's judgement. */
    final long[] laps = new long[6];

    private long lap(int i, long since) {
        long now = System.nanoTime();
        laps[i] += now - since;
        return now;
    }

    String lapText() {
        String[] names = {"writes", "backup+capture", "map", "prune", "judge", "of which capture"};
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < laps.length; i++) {
            s.append(String.format("%s %.1f s; ", names[i], laps[i] / 1e9));
        }
        return s.toString();
    }

    /** A few clusters a night, at places drawn from the night's own seed: data, now and then zeroes or a discard. */
    void write(int day) throws Exception {
        Random r = new Random(day);
        int n = day == 0 ? 48 : 3;
        for (int i = 0; i < n; i++) {
            long cluster = r.nextInt((int) CLUSTERS);
            String op;
            if (day > 0 && i == 0 && day % 7 == 0) {
                op = "discard";
            } else if (day > 0 && i == 1 && day % 5 == 0) {
                op = "write -z";
            } else {
                op = "write -P 0x" + Integer.toHexString(1 + (day * 7 + i) % 255);
            }
            io(op + " " + cluster * CLUSTER + " " + CLUSTER);
            for (Set<Long> since : dirtySince.values()) {
                since.add(cluster);
            }
        }
        io("flush"); // the qcow2 driver's metadata caches into the file, for the capture to read
    }

    private void io(String command) throws Exception {
        String res = hv.hmp(g.name(), "qemu-io -d " + qom + " \"" + command + "\"");
        if (res.contains("failed") || res.contains("rror")) {
            throw new AssertionError(g.name() + ": qemu-io \"" + command + "\": " + res.strip());
        }
    }

    /** Night {@code day}'s backup at {@code level} and its capture. */
    Backup backup(int seq, int day, Level level, String at) throws Exception {
        clock.set(START.plusDays(day).atTime(1, 0).toInstant(ZoneOffset.UTC));
        StringWriter err = new StringWriter();
        BackupOptions o = new BackupOptions(g.name(), out, RequestedLevel.of(level.word()), Set.of(), Set.of(),
                BackupOptions.Freeze.OFF, false, null, null, Duration.ofMinutes(1), false, Checksum.CRC32C);
        BackupReport report;
        try {
            report = new BackupRun(hv, clock, new PrintWriter(err, true), false).run(o);
        } catch (Exception e) {
            throw new AssertionError(at + ": the backup failed: " + e.getMessage() + "\nits warnings:\n" + err, e);
        }
        long c = System.nanoTime();
        img("convert", "-U", "-O", "qcow2", g.disk("vda").toString(), capture(report.backup().seq()).toString());
        laps[5] += System.nanoTime() - c;
        Backup b = report.backup();
        assertEquals(seq, b.seq(), at + ": seqs count the backups");
        assertEquals(level, b.level(), at + ": " + err);
        warnings = report.warnings();
        return b;
    }

    /** The new backup builds on what the schedule says and holds exactly the clusters written since then. */
    void judgeNewBackup(Manifest before, Backup b, String at) {
        DiskBackup d = b.disk("vda").orElseThrow();
        if (b.level() == Level.FULL) {
            assertEquals(null, b.parentSeq(), at);
            return;
        }
        Backup parent = b.level() == Level.INC ? before.chainTip().orElseThrow() : before.latestFull().orElseThrow();
        assertEquals(parent.seq(), b.parentSeq(), at + ": the parent of the " + b.level().word());
        String parentFile = parent.disk("vda").orElseThrow().file();
        assertEquals(parentFile, d.backingFile(), at);
        assertEquals(DiskMode.INCREMENTAL, d.mode(), at);
        Set<Long> expected = dirtySince.get(parent.seq());
        assertNotNull(expected, at + ": no writes tracked since backup " + parent.seq());
        String map = img("map", "--output=json", d.file());
        assertEquals(expected.size() * CLUSTER, DiskChecks.allocatedInTop(map),
                at + ": " + d.file() + " holds exactly the " + expected.size() + " clusters written since backup "
                        + parent.seq() + " " + expected + "\n" + map);
    }

    /** The prune after night {@code day}'s backup, by the simulated clock; it must complete, checkpoints included. */
    void prune(int day, String at) throws Exception {
        PruneRun.Outcome o = prune(day, POLICY);
        assertTrue(o.complete(), at + ": the prune completed: " + o);
        assertEquals(List.of(), o.checkpointsLeft(), at);
        // A merged file's CRC-32C is carried through its commit, not read again: it must be the file's.
        for (Backup b : o.manifest().backups()) {
            for (DiskBackup d : b.disks()) {
                assertEquals(Checksum.of(d.checksum().algorithm(), out.resolve(d.file())), d.checksum(),
                        at + ": the recorded checksum of " + d.file());
            }
        }
    }

    /** A prune under {@code policy} on night {@code day}, 01:05 UTC; what it left. */
    PruneRun.Outcome prune(int day, RetentionPolicy policy) throws Exception {
        clock.set(START.plusDays(day).atTime(1, 5).toInstant(ZoneOffset.UTC));
        try (DirectoryLock lock = DirectoryLock.acquire(out)) {
            Manifest m = ManifestFile.load(out);
            PrunePlan plan = PrunePlan.of(m, policy, clock, sizes(m));
            merges += (int) plan.steps().stream().filter(s -> s instanceof dev.virtchain.chain.prune.PruneStep.Commit)
                    .count();
            return new PruneRun(out, new LibvirtCheckpointCleaner(hv, g.name(), out)).run(m, plan, clock.instant());
        }
    }

    Map<String, Long> sizes(Manifest m) throws IOException {
        return Prune.sizes(out, m);
    }

    /**
     * Everything the class Javadoc lists, after a prune that leaves restore points {@code expected};
     * libvirt's checkpoints only when {@code libvirt} (the domain may be gone), and the prune's
     * journal must be empty only then.
     */
    void judgeDirectory(String at, Set<Integer> expected, boolean libvirt) throws Exception {
        Manifest m = ManifestFile.load(out);
        if (libvirt) {
            assertEquals(null, m.journal(), at + ": no prune under way");
        }
        TreeSet<Integer> points = new TreeSet<>();
        m.restorePoints().forEach(b -> points.add(b.seq()));
        assertEquals(expected, points, at + ": the restore points restic's rules keep");
        Set<Integer> records = new TreeSet<>();
        m.backups().forEach(b -> records.add(b.seq()));
        dirtySince.keySet().retainAll(records);
        for (Path c : list(captures)) {
            int seq = Integer.parseInt(c.getFileName().toString().replace(".qcow2", ""));
            if (!points.contains(seq)) {
                Files.delete(c);
            }
        }

        // The directory holds the manifest's files and, for restore points only, their saved XML.
        Set<String> qcow2 = new TreeSet<>(qcow2Files());
        Set<String> named = new TreeSet<>();
        m.backups().forEach(b -> b.disks().forEach(d -> named.add(d.file())));
        assertEquals(named, qcow2, at + ": the qcow2 files are the ones the manifest names");
        Set<String> xml = new TreeSet<>();
        for (Path f : list(out)) {
            String n = f.getFileName().toString();
            assertFalse(n.endsWith(".partial") || n.contains(".tmp"), at + ": left over: " + n);
            if (n.startsWith("domain.")) {
                xml.add(n);
            }
        }
        Set<String> wantXml = new TreeSet<>();
        points.forEach(s -> {
            wantXml.add(String.format("domain.%04d.xml", s));
            wantXml.add(String.format("domain.%04d.inactive.xml", s)); // the domain is persistent
        });
        assertEquals(wantXml, xml, at + ": saved domain XML of the restore points only");

        // libvirt's checkpoints are those of the manifest's records, restore points and bases.
        Set<String> checkpoints = new TreeSet<>();
        m.backups().forEach(b -> checkpoints.add(b.checkpoint()));
        if (libvirt) {
            assertEquals(checkpoints, new TreeSet<>(hv.checkpointNames(g.name())), at + ": libvirt's checkpoints");
            assertEquals(checkpoints, savedCheckpoints(), at + ": checkpoints/ holds the XML of the same checkpoints");
        }

        // qemu-img check on every file that is new or changed since its last check.
        checked.keySet().retainAll(qcow2);
        for (String f : qcow2) {
            List<Object> now = fingerprint(f);
            if (!now.equals(checked.get(f))) {
                qemuImgRuns++;
                Qemu.assertClean(out.resolve(f));
                checked.put(f, now);
            }
        }

        // Every restore point whose chain is new or changed: its links as qemu-img reads them, its content.
        // Newest first: the chain qemu-img reads from a point's top holds, from each file in it on, that
        // file's own chain (the links are in the headers), so one info serves every point of a line.
        judged.keySet().retainAll(points);
        Function<Integer, Backup> record = s -> m.backup(s).orElseThrow();
        List<List<String>> readTonight = new ArrayList<>();
        for (int seq : points.descendingSet()) {
            List<String> chain = new ArrayList<>();
            for (Backup b = record.apply(seq); ; b = record.apply(b.parentSeq())) {
                DiskBackup d = b.disk("vda").orElseThrow();
                chain.add(d.file());
                if (d.mode() != DiskMode.INCREMENTAL) {
                    break;
                }
            }
            List<Object> now = new ArrayList<>();
            for (String f : chain) {
                now.add(fingerprint(f));
            }
            if (now.equals(judged.get(seq))) {
                continue;
            }
            String top = chain.get(0);
            List<String> read = null;
            for (List<String> r : readTonight) {
                if (r.contains(top)) {
                    read = r.subList(r.indexOf(top), r.size());
                }
            }
            if (read == null) {
                qemuImgRuns++;
                read = BackupDirs.chain(out, top);
                readTonight.add(read);
            }
            qemuImgRuns++;
            assertEquals(chain, read, at + ": the backing chain of restore point " + seq);
            assertTrue(named.containsAll(read), at + ": restore point " + seq + " reads only files the manifest names");
            BackupDirs.assertSameContent(out, out.resolve(top), capture(seq));
            judged.put(seq, now);
        }

        int files = qcow2.size();
        long bytes = qcow2Bytes();
        maxFiles = Math.max(maxFiles, files);
        maxBytes = Math.max(maxBytes, bytes);
        assertTrue(files <= fileBound(), at + ": " + files + " files, bound " + fileBound() + ": " + qcow2);
        assertTrue(bytes <= byteBound(), at + ": " + bytes + " bytes, bound " + byteBound());
    }

    /**
     * The restore points restic's rules keep when backup {@code last} of {@code nights} is the newest
     * and every backup before it was taken: the newest backup of each of the N most recent days, ISO
     * weeks and months that have one, and the oldest backup (the full, seq 0) for a rule that finds
     * fewer than N periods. Pruning after every backup keeps the same ones as pruning once: a period's
     * newest backup stays its newest, and the oldest backup is seq 0 for as long as any rule still
     * wants it.
     */
    static SortedSet<Integer> expectedRestorePoints(List<Night> nights, int last) {
        SortedSet<Integer> keep = new TreeSet<>();
        List<Function<LocalDate, Object>> periods = List.of(d -> d,
                d -> d.get(IsoFields.WEEK_BASED_YEAR) * 100 + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), YearMonth::from);
        int[] counts = {KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY};
        for (int i = 0; i < counts.length; i++) {
            Set<Object> seen = new LinkedHashSet<>();
            for (int seq = last; seq >= 0; seq--) {
                Object p = periods.get(i).apply(nights.get(seq).date());
                if (!seen.contains(p) && seen.size() < counts[i]) {
                    seen.add(p);
                    keep.add(seq);
                }
            }
            Set<Object> all = new HashSet<>();
            for (int seq = 0; seq <= last; seq++) {
                all.add(periods.get(i).apply(nights.get(seq).date()));
            }
            if (all.size() < counts[i]) {
                keep.add(0);
            }
        }
        return keep;
    }

    /** The names of the checkpoints whose XML checkpoints/ holds. */
    Set<String> savedCheckpoints() {
        Set<String> saved = new TreeSet<>();
        list(out.resolve("checkpoints")).forEach(p -> saved.add(p.getFileName().toString().replaceAll("\\.xml$", "")));
        return saved;
    }

    SimClock clock() {
        return clock;
    }

    /** What identifies a file's content without reading it: inode, size, modification time. */
    private List<Object> fingerprint(String file) {
        try {
            Path p = out.resolve(file);
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return List.of(file, Files.getAttribute(p, "unix:ino"), a.size(), a.lastModifiedTime().toMillis(),
                    Files.getAttribute(p, "unix:ctime").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path capture(int seq) {
        return captures.resolve(seq + ".qcow2");
    }

    List<String> qcow2Files() {
        return list(out).stream().map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".qcow2")).sorted()
                .toList();
    }

    long qcow2Bytes() throws IOException {
        long sum = 0;
        for (String f : qcow2Files()) {
            sum += Files.size(out.resolve(f));
        }
        return sum;
    }

    private String img(String... args) {
        qemuImgRuns++;
        return Qemu.img(out, args);
    }

    static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
