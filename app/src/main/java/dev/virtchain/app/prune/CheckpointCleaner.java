package dev.virtchain.app.prune;

import java.io.IOException;

/** Deletes a prune's dropped checkpoints: in libvirt, then their saved XML. */
public interface CheckpointCleaner {
    /**
     * Deletes {@code checkpoint} of the domain, merging its bitmap into its parent's, and its
     * saved XML; a checkpoint that is gone already is no error.
     *
     * @throws Unreachable the domain is gone or libvirt cannot be reached: nothing was deleted,
     *                     and the next backup is to do it
     */
    default void delete(String checkpoint) throws IOException, Unreachable {
        delete(checkpoint, () -> { });
    }

    /**
     * {@link #delete(String)}, calling {@code inLibvirtDone} once libvirt no longer has the
     * checkpoint and before its saved XML changes (a test's crash point between the two).
     */
    void delete(String checkpoint, Runnable inLibvirtDone) throws IOException, Unreachable;

    /** Why checkpoints cannot be deleted now, in one line for the user. */
    final class Unreachable extends Exception {
        public Unreachable(String why) {
            super(why, null, false, false);
        }
    }
}
