package dev.virtchain.chain.prune;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.List;

/** Why a backup is kept: one of the policy's rules, or one of the two backups a prune never drops. */
public enum KeepRule {
    LAST("last"), HOURLY("hourly"), DAILY("daily"), WEEKLY("weekly"), MONTHLY("monthly"), YEARLY("yearly"),
    /** --keep-within: taken less than the duration before the newest backup. */
    WITHIN("within"),
    /** The newest backup (by seq): a prune never drops it. */
    NEWEST("newest"),
    /** The newest full, inc or diff backup: the next inc builds on it and on its checkpoint. */
    CHAIN_TIP("chain tip");

    /** The rules with a count, in the order restic applies them. */
    public static final List<KeepRule> COUNTED = List.of(LAST, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY);

    private final String word;

    KeepRule(String word) {
        this.word = word;
    }

    /** The rule's word as prune prints it: {@code daily}, {@code chain tip}. */
    public String word() {
        return word;
    }

    /**
     * The period a backup taken at {@code time} falls in, for a counted rule: two backups share a
     * period exactly when their keys are equal. The wall clock in {@code zone} decides, as restic's
     * period keys do ({@code YYYYMMDDHH}, {@code YYYYMMDD}, ISO {@code YYYYWW}, {@code YYYYMM},
     * {@code YYYY}); {@link #LAST} has a period of its own for every backup ({@code rank}, its
     * place from the newest).
     */
    long period(Instant time, int rank, ZoneId zone) {
        LocalDateTime t = LocalDateTime.ofInstant(time, zone);
        return switch (this) {
            case LAST -> rank;
            case HOURLY -> t.truncatedTo(ChronoUnit.HOURS).toEpochSecond(ZoneOffset.UTC);
            case DAILY -> t.toLocalDate().toEpochDay();
            case WEEKLY -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
            case MONTHLY -> t.getYear() * 100L + t.getMonthValue();
            case YEARLY -> t.getYear();
            default -> throw new IllegalStateException(this + " has no periods");
        };
    }
}
