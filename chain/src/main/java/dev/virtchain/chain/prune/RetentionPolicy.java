package dev.virtchain.chain.prune;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Which backups a prune keeps: the keep rules of restic {@code forget} (and, by the same words,
 * of Proxmox Backup Server's prune), applied by {@link Retention}. A count of 0 (and a null or zero
 * duration) leaves a rule out; {@link #UNLIMITED} keeps every period.
 *
 * <p>How the rules count, word for word the text {@code --help} quotes ({@link #HOW_RULES_COUNT}):
 *
 * <blockquote>{@value #HOW_RULES_COUNT}</blockquote>
 *
 * <p>Where this follows restic and not Proxmox: restic applies every rule to every backup and
 * ORs the results, so a backup that --keep-last keeps still counts as its day's backup for
 * --keep-daily. Proxmox applies the rules in turn and lets each one count only periods that
 * the rules before it left without a kept backup, so it keeps more backups for the same options.
 * Both count weeks the ISO way. --keep-within is restic's: measured from the newest backup, not
 * from now; unlike restic's "1y2m" its duration is exact time (a day is 24 hours).
 *
 * @param keepLast    the N newest backups
 * @param keepHourly  the newest backup of each of the N most recent hours that have one
 * @param keepDaily   ... days
 * @param keepWeekly  ... ISO weeks
 * @param keepMonthly ... months
 * @param keepYearly  ... years
 * @param keepWithin  every backup newer than the newest backup minus this; null for none
 */
public record RetentionPolicy(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
        int keepYearly, Duration keepWithin) {
    /** A count that keeps every period (restic's {@code unlimited}). */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    /** No rule at all: refused by {@link #requireRule()}; the start for the {@code with...} methods. */
    public static final RetentionPolicy NONE = new RetentionPolicy(0, 0, 0, 0, 0, 0, null);

    /** How the rules count; {@code virtchain prune --help} quotes it. */
    public static final String HOW_RULES_COUNT = "A backup is kept when any rule keeps it. "
            + "--keep-last N keeps the N newest backups. "
            + "--keep-hourly, --keep-daily, --keep-weekly, --keep-monthly and --keep-yearly N keep the newest "
            + "backup of each of the N most recent hours, days, weeks, months or years that have a backup; "
            + "periods without a backup do not count. "
            + "Periods are calendar periods in this host's time zone, by the wall clock (when clocks go back, "
            + "the repeated hour is one hour): hours :00 to :59, days 00:00 to 23:59, "
            + "weeks ISO 8601 weeks from Monday 00:00 to Sunday 23:59 (a week belongs to the year of its "
            + "Thursday, so Monday 2024-12-30 is in week 1 of 2025), months and years by the calendar. "
            + "When a rule finds fewer than N periods with a backup, it keeps the oldest backup as well. "
            + "--keep-within D keeps every backup taken less than D before the newest backup "
            + "(the newest not in the future); D is exact time, a day is 24 hours. "
            + "The newest backup is always kept, and so is the newest full, inc or diff backup, "
            + "which the next inc builds on.";

    public RetentionPolicy {
        requireCount("--keep-last", keepLast);
        requireCount("--keep-hourly", keepHourly);
        requireCount("--keep-daily", keepDaily);
        requireCount("--keep-weekly", keepWeekly);
        requireCount("--keep-monthly", keepMonthly);
        requireCount("--keep-yearly", keepYearly);
        if (keepWithin != null && keepWithin.isNegative()) {
            throw new IllegalArgumentException("--keep-within " + keepWithin + " is negative");
        }
        if (keepWithin != null && keepWithin.isZero()) {
            keepWithin = null; // restic's zero duration: no rule
        }
    }

    /**
     * The policy the options give, refused as a usage error when a count or the duration is
     * negative or when no rule is given at all.
     */
    public static RetentionPolicy of(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
            int keepYearly, Duration keepWithin) throws PolicyException {
        RetentionPolicy p;
        try {
            p = new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
                    keepWithin);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(e.getMessage(), "give a count of 0 or more, or a positive duration");
        }
        p.requireRule();
        return p;
    }

    public RetentionPolicy withKeepLast(int n) {
        return new RetentionPolicy(n, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin);
    }

    public RetentionPolicy withKeepHourly(int n) {
        return new RetentionPolicy(keepLast, n, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin);
    }

    public RetentionPolicy withKeepDaily(int n) {
        return new RetentionPolicy(keepLast, keepHourly, n, keepWeekly, keepMonthly, keepYearly, keepWithin);
    }

    public RetentionPolicy withKeepWeekly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, n, keepMonthly, keepYearly, keepWithin);
    }

    public RetentionPolicy withKeepMonthly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, n, keepYearly, keepWithin);
    }

    public RetentionPolicy withKeepYearly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, n, keepWithin);
    }

    public RetentionPolicy withKeepWithin(Duration d) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, d);
    }

    /** The count of {@code rule}, one of the counted rules (last to yearly). */
    public int count(KeepRule rule) {
        return switch (rule) {
            case LAST -> keepLast;
            case HOURLY -> keepHourly;
            case DAILY -> keepDaily;
            case WEEKLY -> keepWeekly;
            case MONTHLY -> keepMonthly;
            case YEARLY -> keepYearly;
            default -> throw new IllegalArgumentException(rule + " is not a counted rule");
        };
    }

    /** Whether no rule is given: such a policy would keep nothing but the newest backup. */
    public boolean isEmpty() {
        return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
                && keepYearly == 0 && keepWithin == null;
    }

    /**
     * Refuses a policy without a rule, as restic does: a prune asked for nothing to keep is far
     * more likely a mistake in a script than the wish to drop every backup but the newest.
     */
    public void requireRule() throws PolicyException {
        if (isEmpty()) {
            throw new PolicyException("a prune needs at least one keep rule",
                    "give --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly"
                            + " or --keep-within");
        }
    }

    /** One line for people, as restic prints its policy: {@code keep 7 daily, 4 weekly backups, all within 2d of the newest}. */
    public String describe() {
        List<String> counts = new ArrayList<>();
        for (KeepRule r : KeepRule.COUNTED) {
            int n = count(r);
            if (n == UNLIMITED) {
                counts.add("all " + r.word());
            } else if (n > 0) {
                counts.add(n + " " + r.word());
            }
        }
        String s = counts.isEmpty() ? "" : String.join(", ", counts) + " backups";
        if (keepWithin != null) {
            s += (s.isEmpty() ? "" : ", ") + "all within " + words(keepWithin) + " of the newest";
        }
        return "keep " + (s.isEmpty() ? "nothing" : s);
    }

    /** {@code 7d}, {@code 36h}, {@code 90m} or {@code 45s}: the largest unit that divides it. */
    static String words(Duration d) {
        long s = d.getSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        return s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    private static void requireCount(String option, int n) {
        if (n < 0) {
            throw new IllegalArgumentException(option + " " + n + " is negative");
        }
    }
}
