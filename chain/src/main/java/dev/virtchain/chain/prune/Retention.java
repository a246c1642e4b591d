package dev.virtchain.chain.prune;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Applies a {@link RetentionPolicy} to the restore points of a backup set: which are kept, and
 * why ({@link PrunePlan} reports it per backup). A pure function; it follows restic's {@code ApplyPolicy} step by step (see
 * {@link RetentionPolicy} for the rules in words):
 *
 * <ol>
 * <li>The points are ordered newest first by time (a tie by seq, the higher first).</li>
 * <li>Each counted rule walks that order remembering the period of the last backup it kept; a
 *     backup in another period is kept and uses up one of the rule's count. Reaching the oldest
 *     backup with count left, the rule keeps it as well ({@code oldest daily}), so history reaches
 *     back as far as it can.</li>
 * <li>--keep-within keeps a backup taken strictly after the newest backup's time minus the
 *     duration; the newest here is the newest not after the clock's now, so a backup stamped in the
 *     future (a clock set wrong at the time) cannot make every other backup look old.</li>
 * <li>Besides the policy: the newest backup by seq and the newest full, inc or diff by seq.</li>
 * </ol>
 */
final class Retention {
    private Retention() {
    }

    /**
     * The kept points among {@code points} (restore points of one backup set, any order), each
     * with its reasons, in seq order. Periods are counted on {@code clock}'s zone; its instant is
     * "now" for --keep-within's guard against future times.
     */
    static Map<Integer, List<KeepReason>> apply(List<Backup> points, RetentionPolicy policy, Clock clock)
            throws PolicyException {
        policy.requireRule();
        if (points.isEmpty()) {
            return Map.of();
        }
        List<Backup> newestFirst = new ArrayList<>(points);
        newestFirst.sort(Comparator.comparing(Backup::time).thenComparingInt(Backup::seq).reversed());
        Instant cutoff = cutoff(newestFirst, policy, clock.instant());

        int[] left = new int[KeepRule.COUNTED.size()];
        Long[] lastPeriod = new Long[left.length];
        for (int i = 0; i < left.length; i++) {
            left[i] = policy.count(KeepRule.COUNTED.get(i));
        }
        Map<Integer, List<KeepReason>> bySeq = new TreeMap<>();
        for (int rank = 0; rank < newestFirst.size(); rank++) {
            Backup b = newestFirst.get(rank);
            boolean oldest = rank == newestFirst.size() - 1;
            List<KeepReason> reasons = new ArrayList<>();
            if (cutoff != null && b.time().isAfter(cutoff)) {
                reasons.add(KeepReason.of(KeepRule.WITHIN));
            }
            for (int i = 0; i < left.length; i++) {
                if (left[i] == 0) {
                    continue;
                }
                KeepRule rule = KeepRule.COUNTED.get(i);
                long period = rule.period(b.time(), rank, clock.getZone());
                boolean samePeriod = lastPeriod[i] != null && lastPeriod[i] == period;
                if (!samePeriod || oldest) {
                    reasons.add(new KeepReason(rule, samePeriod));
                    lastPeriod[i] = period;
                    if (left[i] != RetentionPolicy.UNLIMITED) {
                        left[i]--;
                    }
                }
            }
            if (!reasons.isEmpty()) {
                bySeq.put(b.seq(), reasons);
            }
        }
        Backup newest = points.stream().max(Comparator.comparingInt(Backup::seq)).orElseThrow();
        bySeq.computeIfAbsent(newest.seq(), s -> new ArrayList<>()).add(KeepReason.of(KeepRule.NEWEST));
        points.stream().filter(b -> b.level() != Level.COPY).max(Comparator.comparingInt(Backup::seq))
                .ifPresent(tip -> bySeq.computeIfAbsent(tip.seq(), s -> new ArrayList<>())
                        .add(KeepReason.of(KeepRule.CHAIN_TIP)));
        Map<Integer, List<KeepReason>> kept = new LinkedHashMap<>();
        bySeq.forEach((seq, reasons) -> kept.put(seq, List.copyOf(reasons)));
        return Collections.unmodifiableMap(kept);
    }

    /** Backups taken after this are kept by --keep-within; null when the policy has no such rule. */
    private static Instant cutoff(List<Backup> newestFirst, RetentionPolicy policy, Instant now) {
        if (policy.keepWithin() == null) {
            return null;
        }
        for (Backup b : newestFirst) {
            if (b.time().isBefore(now)) {
                return b.time().minus(policy.keepWithin());
            }
        }
        return Instant.MIN; // every backup is in the future: restic then measures from the year 1, keeping all
    }
}
