package dev.virtchain.app.config;

import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.nio.file.Path;
import java.util.List;

/**
 * The backup settings one layer sets: the config file's {@code [defaults]}, one of its
 * {@code [domain."..."]} sections, or the command line. A null field is one this layer leaves to
 * the layers below it ({@link #over}).
 *
 * @param root        the backup root: each domain is backed up into {@code root/<domain>}
 * @param keep        the keep rules applied after each successful backup; {@link RetentionPolicy#NONE}
 *                    for none (a layer's {@code keep = {}} turns off the pruning of the layers below)
 * @param hookTimeout seconds
 * @param skip        leave the domain out of {@code backup --all}
 */
public record Settings(Path root, RequestedLevel level, String checksum, Boolean freeze, List<String> freezeMountpoints,
        Boolean startPaused, String preHook, String postHook, Long hookTimeout, Boolean autoFull, List<String> include,
        List<String> exclude, RetentionPolicy keep, Boolean skip) {

    /** A layer that sets nothing. */
    public static final Settings NONE = new Settings(null, null, null, null, null, null, null, null, null, null, null,
            null, null, null);

    /** What holds when nothing else says otherwise (the command's own defaults). */
    public static final Settings BUILT_IN = new Settings(null, RequestedLevel.AUTO, "crc32c", true, List.of(), false,
            null, null, 300L, false, List.of(), List.of(), RetentionPolicy.NONE, false);

    /** These settings laid over {@code below}: every field this layer sets wins. */
    public Settings over(Settings below) {
        return new Settings(pick(root, below.root), pick(level, below.level), pick(checksum, below.checksum),
                pick(freeze, below.freeze), pick(freezeMountpoints, below.freezeMountpoints),
                pick(startPaused, below.startPaused), pick(preHook, below.preHook), pick(postHook, below.postHook),
                pick(hookTimeout, below.hookTimeout), pick(autoFull, below.autoFull), pick(include, below.include),
                pick(exclude, below.exclude), pick(keep, below.keep), pick(skip, below.skip));
    }

    private static <T> T pick(T mine, T theirs) {
        return mine != null ? mine : theirs;
    }
}
