package dev.virtchain.app.backup;

import dev.virtchain.chain.RequestedLevel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What one {@code virtchain backup} run is asked to do.
 *
 * @param include     disks (target devs) to back up; empty for all that can be
 * @param exclude     disks to leave out
 * @param freeze      freeze the guest's filesystems through its agent around backup begin
 * @param startPaused start an inactive domain paused for the backup and stop it afterwards
 * @param autoFull    fall back to a full backup (with a warning) when the chain cannot go on
 * @param checksum    the algorithm of the checksum recorded for every new file ({@code Checksum.COMPUTABLE})
 * @param freezeMountpoints the guest mountpoints to freeze; empty for all
 */
public record BackupOptions(String domain, Path dir, RequestedLevel level, Set<String> include, Set<String> exclude,
        Freeze freeze, boolean startPaused, String preHook, String postHook, Duration hookTimeout, boolean autoFull,
        String checksum, List<String> freezeMountpoints) {

    /** Guest filesystem freezing: on when an agent answers (warn otherwise), always asked for, or off. */
    public enum Freeze { AUTO, ON, OFF }

    public BackupOptions {
        include = Set.copyOf(include);
        exclude = Set.copyOf(exclude);
        freezeMountpoints = List.copyOf(freezeMountpoints);
    }

    /** Options that freeze all of the guest's filesystems (when {@code freeze} is not off). */
    public BackupOptions(String domain, Path dir, RequestedLevel level, Set<String> include, Set<String> exclude,
            Freeze freeze, boolean startPaused, String preHook, String postHook, Duration hookTimeout, boolean autoFull,
            String checksum) {
        this(domain, dir, level, include, exclude, freeze, startPaused, preHook, postHook, hookTimeout, autoFull,
                checksum, List.of());
    }

    /** These options with guest freezing set to {@code mode}. */
    public BackupOptions withFreeze(Freeze mode) {
        return new BackupOptions(domain, dir, level, include, exclude, mode, startPaused, preHook, postHook,
                hookTimeout, autoFull, checksum, freezeMountpoints);
    }
}
