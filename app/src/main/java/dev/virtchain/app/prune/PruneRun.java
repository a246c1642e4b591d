package dev.virtchain.app.prune;

import dev.virtchain.app.cli.Trace;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.prune.ManifestUpdates;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.chain.prune.PrunePlan;
import dev.virtchain.chain.prune.PruneStep;
import dev.virtchain.qcow2.Progress;
import dev.virtchain.qcow2.ops.Committer;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.io.RunningCrc32c;
import dev.virtchain.qcow2.ops.LeakRepair;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a prune's steps in a backup directory whose lock the caller holds, journaling each in the
 * manifest (docs/DESIGN.md, "Retention: prune"): the intent before a step touches anything, done after
 * it; a {@link PruneStep.ManifestUpdate} is applied and marked done in one atomic write. Every
 * step can be run again from the start after a crash at any moment inside it, which is how an
 * interrupted prune is finished ({@link #resume}): a commit writes the same clusters again (each
 * one the top overrides), a rename that happened finds its source gone and its target there, a
 * deletion finds nothing to delete. Nothing is ever rolled back, because no step leaves a kept
 * point reading anything but what it read before.
 *
 * <p>Checkpoints come last. Without a way to reach the domain ({@code checkpoints} null, or
 * {@link CheckpointCleaner.Unreachable}) the run stops before them: every file step is done, the
 * journal keeps the checkpoint steps, and the next run with libvirt at hand (a backup or a prune)
 * finishes them.
 */
public final class PruneRun {
    /**
     * Where a test stops a run, as a crash would: before a step's intent is journaled, after it,
     * halfway through a commit's copy (commit steps only), after the step ran but before the journal
     * says so.
     */
    enum Moment { BEFORE_INTENT, AFTER_INTENT, MID_COMMIT, MID_CHECKPOINT, AFTER_STEP }

    /**
     * Test only: {@code VIRTCHAIN_TEST_PRUNE_KILL=STEP:MOMENT} (a step index from 0, a {@link Moment})
     * makes the process SIGKILL itself there, so that tests kill a real {@code virtchain} at exact
     * moments of a prune ({@code PruneKillIT}). Nothing else reads it; unset, it costs nothing.
     */
    static final String KILL_ENV = "VIRTCHAIN_TEST_PRUNE_KILL";

    /** A test's crash: called at each moment of each step, it throws to stop the run there. */
    interface CrashPoint {
        void at(int step, Moment moment);
    }

    /**
     * What a run left.
     *
     * @param manifest         the manifest as written last
     * @param checkpointsLeft  the checkpoints still to delete (the journal keeps them), or empty
     * @param whyLeft          why they could not be deleted now, or null
     */
    public record Outcome(Manifest manifest, List<String> checkpointsLeft, String whyLeft) {
        public Outcome {
            checkpointsLeft = List.copyOf(checkpointsLeft);
        }

        public boolean complete() {
            return manifest.journal() == null;
        }
    }

    private final Path dir;
    private final CheckpointCleaner checkpoints;
    private final CrashPoint crash;
    /** Checksums followed through this run's commits; trusts the manifest only in a run started here. */
    private FollowedChecksums checksums;
    /**
     * The one step an earlier process may have left partly done (the journal's next step when this
     * object resumes a prune it did not start), or -1 in a run started here, where every step runs
     * for the first time.
     */
    private int maybeInterrupted = -1;

    /** @param checkpoints deletes checkpoints in libvirt; null when there is no connection */
    public PruneRun(Path dir, CheckpointCleaner checkpoints) {
        this(dir, checkpoints, killFromEnvironment(System.getenv(KILL_ENV)));
    }

    /** The crash point {@link #KILL_ENV} asks for: SIGKILL of this very process, as from outside. */
    static CrashPoint killFromEnvironment(String value) {
        if (value == null || value.isEmpty()) {
            return (step, moment) -> { };
        }
        String[] v = value.split(":");
        int at = Integer.parseInt(v[0]);
        Moment when = Moment.valueOf(v[1]);
        return (step, moment) -> {
            if (step == at && moment == when) {
                try {
                    new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                    Thread.sleep(60_000);
                } catch (IOException | InterruptedException e) {
                    // fall through to halt
                }
                Runtime.getRuntime().halt(137);
            }
        };
    }

    PruneRun(Path dir, CheckpointCleaner checkpoints, CrashPoint crash) {
        this.dir = dir;
        this.checkpoints = checkpoints;
        this.crash = crash;
        this.checksums = new FollowedChecksums(dir, false);
    }

    /**
     * Runs {@code plan}, made from {@code m}, which is the manifest on disk. A prune still under way
     * in {@code m} may have left only checkpoint deletions (libvirt was out of reach): they are
     * appended to this run's steps, so that a domain that stays unreachable never blocks a prune.
     */
    public Outcome run(Manifest m, PrunePlan plan, Instant now) throws IOException {
        List<PruneStep> steps = new ArrayList<>(plan.steps());
        if (m.journal() != null) {
            PruneJournal j = m.journal();
            for (PruneStep s : j.steps().subList(j.done(), j.steps().size())) {
                if (!(s instanceof PruneStep.DeleteCheckpoint)) {
                    throw new IllegalStateException("a prune is under way already; resume it first");
                }
                if (!steps.contains(s)) {
                    steps.add(s);
                }
            }
            m = m.withJournal(null);
        }
        if (steps.isEmpty()) {
            return new Outcome(m, List.of(), null);
        }
        Manifest journaled = m.withJournal(PruneJournal.of(now, steps));
        ManifestFile.write(dir, journaled);
        checksums = new FollowedChecksums(dir, true); // every file step of this journal runs in this process
        return steps(journaled);
    }

    /** Finishes the prune that {@code m}, the manifest on disk, records as under way. */
    public Outcome resume(Manifest m) throws IOException {
        maybeInterrupted = m.journal() == null ? -1 : m.journal().done();
        return steps(m);
    }

    private Outcome steps(Manifest m) throws IOException {
        if (m.journal() != null) {
            readAheadNextCommit(m.journal(), m.journal().done());
        }
        while (m.journal() != null && !m.journal().complete()) {
            PruneJournal j = m.journal();
            PruneStep step = j.next();
            crash.at(j.done(), Moment.BEFORE_INTENT);
            if (step instanceof PruneStep.ManifestUpdate u) {
                m = ManifestUpdates.apply(m, u, checksums::of)
                        .withJournal(j.finish());
                ManifestFile.write(dir, m);
                Trace.mark("prune: step " + j.done() + " done: manifest update");
                crash.at(j.done(), Moment.AFTER_STEP);
                continue;
            }
            if (step instanceof PruneStep.DeleteCheckpoint && checkpoints == null) {
                return new Outcome(m, checkpointsLeft(j), "no connection to libvirt");
            }
            if (!j.started()) {
                j = j.begin();
                m = m.withJournal(j);
                ManifestFile.write(dir, m);
            }
            crash.at(j.done(), Moment.AFTER_INTENT);
            try {
                perform(m, step, j.done());
            } catch (CheckpointCleaner.Unreachable e) {
                return new Outcome(m, checkpointsLeft(j), e.getMessage());
            }
            if (step instanceof PruneStep.Commit) {
                readAheadNextCommit(j, j.done() + 1);
            }
            Trace.mark("prune: step " + j.done() + " done: " + step.getClass().getSimpleName());
            crash.at(j.done(), Moment.AFTER_STEP);
            m = m.withJournal(j.finish());
            ManifestFile.write(dir, m);
            Trace.mark("prune: step " + j.done() + " journaled");
        }
        if (m.journal() != null) {
            m = m.withJournal(null);
            ManifestFile.write(dir, m);
        }
        return new Outcome(m, List.of(), null);
    }

    /**
     * Starts reading the files that the first commit from step {@code from} on reads into the page
     * cache, in the background (see {@link NativeFiles#willNeed}): they are read while the journal's
     * writes and fsyncs before it run, instead of after them (the bench's prune: 0.1 s of 0.4 s).
     * Only a hint; a file gone by then is simply not read.
     */
    private void readAheadNextCommit(PruneJournal j, int from) {
        for (PruneStep s : j.steps().subList(Math.min(from, j.steps().size()), j.steps().size())) {
            if (s instanceof PruneStep.Commit c) {
                List<Path> files = new ArrayList<>();
                files.add(dir.resolve(c.top()));
                c.through().forEach(f -> files.add(dir.resolve(f)));
                Thread t = new Thread(() -> files.forEach(NativeFiles::willNeed), "read-ahead");
                t.setDaemon(true);
                t.start();
                return;
            }
        }
    }

    private static List<String> checkpointsLeft(PruneJournal j) {
        List<String> left = new ArrayList<>();
        for (PruneStep s : j.steps().subList(j.done(), j.steps().size())) {
            if (s instanceof PruneStep.DeleteCheckpoint c) {
                left.add(c.checkpoint());
            }
        }
        return left;
    }

    private void perform(Manifest m, PruneStep step, int index) throws IOException, CheckpointCleaner.Unreachable {
        if (step instanceof PruneStep.Commit c) {
            Path into = dir.resolve(c.into());
            boolean[] halfway = {false};
            Progress mid = (done, total) -> {
                if (!halfway[0] && done >= total / 2) {
                    halfway[0] = true;
                    crash.at(index, Moment.MID_COMMIT);
                }
            };
            RunningCrc32c crc = checksums.beforeWriting(m, c.into());
            Committer.commitInto(dir.resolve(c.top()), c.through().stream().map(dir::resolve).toList(), into,
                    c.virtualSize(), mid, crc);
            Trace.mark("prune: step " + index + " committed");
            if (index == maybeInterrupted) {
                // A commit killed inside its writer's flush left clusters counted but not referenced:
                // harmless, but verify's structural check reports them. The commit run again keeps
                // them; free them. A commit that ran once, whole, leaves none (the replay and kill
                // tests check every file), so a step no earlier process began skips this check of
                // every table of the file.
                Files.setPosixFilePermissions(into, PosixFilePermissions.fromString("rw-------"));
                LeakRepair.dropLeaks(into, crc);
            }
            checksums.afterWriting(c.into(), crc);
            // commitInto restores the mode it found, which a commit killed earlier left writable.
            Files.setPosixFilePermissions(into, PosixFilePermissions.fromString("r--------"));
        } else if (step instanceof PruneStep.Rename r) {
            rename(r.from(), r.to());
            checksums.renamed(r.from(), r.to());
        } else if (step instanceof PruneStep.DeleteFile f) {
            delete(f.file());
            checksums.deleted(f.file());
        } else if (step instanceof PruneStep.DeleteSavedFiles s) {
            Files.deleteIfExists(dir.resolve(Naming.domainXml(s.seq())));
            Files.deleteIfExists(dir.resolve(Naming.inactiveDomainXml(s.seq())));
            for (Naming.BootFile f : Naming.BootFile.values()) {
                Files.deleteIfExists(dir.resolve(f.file(s.seq())));
            }
            fsyncDirectory(); // one for all of the step's deletions, before the journal says it is done
        } else if (step instanceof PruneStep.DeleteCheckpoint c) {
            checkpoints.delete(c.checkpoint(), () -> crash.at(index, Moment.MID_CHECKPOINT));
        } else {
            throw new IllegalArgumentException("not a file step: " + step);
        }
    }

    /** Renames over the target; done already when the source is gone and the target is there. */
    private void rename(String from, String to) throws IOException {
        try {
            Files.move(dir.resolve(from), dir.resolve(to), StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            if (!Files.exists(dir.resolve(to))) {
                throw new IOException(dir.resolve(from) + ": cannot rename it over " + to
                        + ": neither file exists; the backup directory was changed by hand during the prune", e);
            }
        }
        fsyncDirectory();
    }

    private void delete(String file) throws IOException {
        Files.deleteIfExists(dir.resolve(file));
        fsyncDirectory(); // also when a run before this one deleted it and died before the fsync
    }

    /** A rename or deletion is durable once the directory is fsynced, before the journal says it is done. */
    private void fsyncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
