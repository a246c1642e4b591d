package dev.virtchain.chain.prune;

import java.time.Instant;
import java.util.List;

/**
 * A prune under way, as the manifest records it: the plan's steps, how many are done, and whether
 * the next one was begun. An executor writes the manifest with the step's intent
 * ({@link #begin}) before it touches anything and with the step done ({@link #finish}) after, so
 * that after a crash the next command on the directory knows exactly which step was interrupted
 * and can finish it (or undo what it left) before anything else. A {@link PruneStep.ManifestUpdate}
 * is done in the same write that applies it, so it is never left half done.
 *
 * @param began   when the prune began, for the message that finishes it
 * @param steps   every step of the plan, in order
 * @param done    how many steps, from the first, are done
 * @param started whether step {@code done} was begun and may be partly done
 */
public record PruneJournal(Instant began, List<PruneStep> steps, int done, boolean started) {
    public PruneJournal {
        if (began == null) {
            throw new IllegalArgumentException("began: missing");
        }
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("steps: a prune journal has at least one step");
        }
        if (done < 0 || done > steps.size()) {
            throw new IllegalArgumentException("done: " + done + " is not between 0 and " + steps.size());
        }
        if (started && done == steps.size()) {
            throw new IllegalArgumentException("started: every step is done, none can be started");
        }
    }

    /** The journal of a prune that is about to run {@code steps}, none begun. */
    public static PruneJournal of(Instant began, List<PruneStep> steps) {
        return new PruneJournal(began, steps, 0, false);
    }

    /** Whether every step is done. */
    public boolean complete() {
        return done == steps.size();
    }

    /**
     * Whether a step that touches files or the manifest is still to run: only then do readers
     * have to wait for it. Checkpoint deletions left over (the domain was not reachable) change
     * nothing a reader reads; the next backup or prune does them.
     */
    public boolean filesPending() {
        return steps.subList(done, steps.size()).stream().anyMatch(s -> !(s instanceof PruneStep.DeleteCheckpoint));
    }

    /** The step to run (or being run) next. */
    public PruneStep next() {
        if (complete()) {
            throw new IllegalStateException("every step is done");
        }
        return steps.get(done);
    }

    /** This journal with the next step's intent recorded. */
    public PruneJournal begin() {
        if (started) {
            throw new IllegalStateException("step " + done + " is begun already");
        }
        return new PruneJournal(began, steps, done, true);
    }

    /** This journal with the next step recorded as done. */
    public PruneJournal finish() {
        if (complete()) {
            throw new IllegalStateException("every step is done");
        }
        return new PruneJournal(began, steps, done + 1, false);
    }
}
