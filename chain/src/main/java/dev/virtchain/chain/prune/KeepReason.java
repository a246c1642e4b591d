package dev.virtchain.chain.prune;

/**
 * One reason a backup is kept, as restic prints it: the rule, and whether the rule kept it only as
 * the oldest backup because it found fewer periods than its count ({@code oldest daily}).
 */
public record KeepReason(KeepRule rule, boolean oldest) {
    public KeepReason {
        if (rule == null) {
            throw new IllegalArgumentException("rule is missing");
        }
    }

    public static KeepReason of(KeepRule rule) {
        return new KeepReason(rule, false);
    }

    /** {@code daily}, {@code oldest weekly}, {@code within}, {@code chain tip}. */
    public String text() {
        return oldest ? "oldest " + rule.word() : rule.word();
    }
}
