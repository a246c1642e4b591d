package dev.virtchain.chain.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.chain.Backup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One test per keep rule (RetentionPolicy's text, restic's forget), named as the rule. Most sets
 * here are copies, so that only the policy (and the newest backup) decides.
 */
class RetentionTest {
    private static final ZoneId UTC = ZoneId.of("UTC");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final RetentionPolicy NONE = RetentionPolicy.NONE;

    private final SetBuilder set = new SetBuilder();

    /** Copies at the given instants, seq 0 first. */
    private void copiesAt(String... instants) {
        for (String t : instants) {
            set.at(t).copy();
        }
    }

    private Map<Integer, List<KeepReason>> apply(RetentionPolicy p, ZoneId zone) throws PolicyException {
        return Retention.apply(set.backups(), p, set.clockAfterLast(zone));
    }

    private List<Integer> kept(RetentionPolicy p, ZoneId zone) throws PolicyException {
        return new ArrayList<>(apply(p, zone).keySet());
    }

    private List<String> reasons(RetentionPolicy p, int seq) throws PolicyException {
        return apply(p, UTC).get(seq).stream().map(KeepReason::text).toList();
    }

    @Test
    void keepLastKeepsTheNNewestBackups() throws Exception {
        copiesAt("2025-03-03T02:00:00Z", "2025-03-03T03:00:00Z", "2025-03-03T04:00:00Z", "2025-03-04T02:00:00Z");
        assertEquals(List.of(2, 3), kept(NONE.withKeepLast(2), UTC));
        assertEquals(List.of("last"), reasons(NONE.withKeepLast(2), 2));
    }

    @Test
    void keepHourlyKeepsTheNewestBackupOfEachHour() throws Exception {
        copiesAt("2025-03-03T02:05:00Z", "2025-03-03T02:55:00Z", "2025-03-03T03:10:00Z", "2025-03-03T03:20:00Z",
                "2025-03-03T05:00:00Z");
        assertEquals(List.of(1, 3, 4), kept(NONE.withKeepHourly(3), UTC));
        assertEquals(List.of(3, 4), kept(NONE.withKeepHourly(2), UTC));
    }

    @Test
    void keepDailyKeepsTheNewestBackupOfEachDayInLocalTime() throws Exception {
        // 23:30 UTC on the 3rd is 00:30 on the 4th in Berlin (UTC+1 in March).
        copiesAt("2025-03-03T20:00:00Z", "2025-03-03T23:30:00Z", "2025-03-04T10:00:00Z", "2025-03-05T10:00:00Z");
        assertEquals(List.of(1, 2, 3), kept(NONE.withKeepDaily(3), UTC), "in UTC the 3rd ends at 23:30");
        assertEquals(List.of(0, 2, 3), kept(NONE.withKeepDaily(3), BERLIN), "in Berlin the 3rd ends at 21:00");
    }

    @Test
    void keepWeeklyCountsIsoWeeksFromMondayToSunday() throws Exception {
        // Sun 2024-12-29 ends week 52 of 2024; Mon 2024-12-30 starts week 1 of 2025 (its Thursday is 2025-01-02).
        copiesAt("2024-12-28T12:00:00Z", "2024-12-29T12:00:00Z", "2024-12-30T12:00:00Z", "2025-01-05T12:00:00Z",
                "2025-01-06T12:00:00Z");
        assertEquals(List.of(1, 3, 4), kept(NONE.withKeepWeekly(3), UTC));
        assertEquals(List.of("weekly"), reasons(NONE.withKeepWeekly(3), 3));
    }

    @Test
    void keepMonthlyKeepsTheNewestBackupOfEachMonth() throws Exception {
        copiesAt("2025-01-10T12:00:00Z", "2025-01-31T12:00:00Z", "2025-02-15T12:00:00Z", "2025-02-28T12:00:00Z",
                "2025-03-01T12:00:00Z");
        assertEquals(List.of(1, 3, 4), kept(NONE.withKeepMonthly(3), UTC));
    }

    @Test
    void keepYearlyKeepsTheNewestBackupOfEachYear() throws Exception {
        // 23:30 UTC on New Year's Eve is already next year in Berlin.
        copiesAt("2023-06-01T12:00:00Z", "2023-12-31T23:30:00Z", "2024-07-01T12:00:00Z", "2025-01-02T12:00:00Z");
        assertEquals(List.of(1, 2, 3), kept(NONE.withKeepYearly(3), UTC));
        assertEquals(List.of(0, 2, 3), kept(NONE.withKeepYearly(3), BERLIN));
    }

    @Test
    void periodsWithoutABackupDoNotCount() throws Exception {
        // restic's example: a backup every Sunday; --keep-daily 4 keeps the last four Sundays.
        for (int week = 0; week < 12; week++) {
            set.at(Instant.parse("2019-09-01T11:00:00Z").plus(Duration.ofDays(7L * week)).toString()).copy();
        }
        assertEquals(List.of(8, 9, 10, 11), kept(NONE.withKeepDaily(4), UTC));
    }

    @Test
    void aRuleThatFindsFewerPeriodsThanItsCountKeepsTheOldestBackupToo() throws Exception {
        copiesAt("2025-01-05T12:00:00Z", "2025-01-20T12:00:00Z", "2025-02-10T12:00:00Z", "2025-03-02T12:00:00Z");
        assertEquals(List.of(0, 1, 2, 3), kept(NONE.withKeepMonthly(12), UTC));
        assertEquals(List.of("oldest monthly"), reasons(NONE.withKeepMonthly(12), 0));
        assertEquals(List.of(1, 2, 3), kept(NONE.withKeepMonthly(3), UTC), "three months found: no oldest");
    }

    @Test
    void keepWithinKeepsTheBackupsTakenLessThanTheDurationBeforeTheNewest() throws Exception {
        copiesAt("2025-03-01T12:00:00Z", "2025-03-02T12:00:00Z", "2025-03-02T12:00:01Z", "2025-03-04T12:00:00Z");
        // The cutoff is 2025-03-02T12:00:00Z, the newest minus 2 days; a backup exactly at it is not newer.
        assertEquals(List.of(2, 3), kept(NONE.withKeepWithin(Duration.ofDays(2)), UTC));
        assertEquals(List.of("within"), reasons(NONE.withKeepWithin(Duration.ofDays(2)), 2));
    }

    @Test
    void keepWithinMeasuresFromTheNewestBackupNotInTheFuture() throws Exception {
        copiesAt("2025-03-01T12:00:00Z", "2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z", "2031-01-01T00:00:00Z");
        Clock now = Clock.fixed(Instant.parse("2025-03-04T00:00:00Z"), UTC);
        Map<Integer, List<KeepReason>> kept = Retention.apply(set.backups(),
                NONE.withKeepWithin(Duration.ofHours(36)), now);
        assertEquals(List.of(1, 2, 3), new ArrayList<>(kept.keySet()),
                "measured from 2025-03-03T12:00Z; the backup from 2031 is newer than that, so kept as well");
    }

    @Test
    void rulesAreOredAndEachKeptBackupNamesItsRules() throws Exception {
        copiesAt("2025-03-01T12:00:00Z", "2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z", "2025-03-04T12:00:00Z",
                "2025-03-05T12:00:00Z");
        RetentionPolicy p = NONE.withKeepLast(3).withKeepDaily(2).withKeepMonthly(1);
        // As restic, not Proxmox: the daily rule counts the days --keep-last kept too, so 3 are kept, not 5.
        assertEquals(List.of(2, 3, 4), kept(p, UTC));
        assertEquals(List.of("last", "daily", "monthly", "newest"), reasons(p, 4));
        assertEquals(List.of("last", "daily"), reasons(p, 3));
        assertEquals(List.of("last"), reasons(p, 2));
    }

    @Test
    void unlimitedKeepsEveryPeriodAndSoAlsoTheOldestBackup() throws Exception {
        copiesAt("2025-03-01T12:00:00Z", "2025-03-01T13:00:00Z", "2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z");
        assertEquals(List.of(0, 1, 2, 3), kept(NONE.withKeepDaily(RetentionPolicy.UNLIMITED), UTC));
        assertEquals(List.of("oldest daily"), reasons(NONE.withKeepDaily(RetentionPolicy.UNLIMITED), 0),
                "an unlimited rule always has count left when it reaches the oldest backup");
    }

    @Test
    void keepHourlyCountsTheWallClockSoTheRepeatedHourIsOneHour() throws Exception {
        // New York leaves daylight saving time on 2024-11-03: 01:30 comes twice, at 05:30Z and 06:30Z.
        copiesAt("2024-11-03T04:30:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z", "2024-11-03T07:30:00Z");
        assertEquals(List.of(0, 2, 3), kept(NONE.withKeepHourly(3), ZoneId.of("America/New_York")));
        assertEquals(List.of(1, 2, 3), kept(NONE.withKeepHourly(3), UTC));
    }

    @Test
    void theNewestBackupIsAlwaysKept() throws Exception {
        // The clock was set back before backup 2: by time it is the oldest.
        copiesAt("2025-03-02T12:00:00Z", "2025-03-03T12:00:00Z", "2025-03-01T12:00:00Z");
        assertEquals(List.of(1, 2), kept(NONE.withKeepLast(1), UTC));
        assertEquals(List.of("newest"), reasons(NONE.withKeepLast(1), 2));
    }

    @Test
    void theChainTipIsKeptEvenWhenACopyIsNewer() throws Exception {
        set.full();
        set.inc();
        set.copy();
        assertEquals(List.of(1, 2), kept(NONE.withKeepLast(1), UTC));
        assertEquals(List.of("chain tip"), reasons(NONE.withKeepLast(1), 1), "the next inc builds on it");
    }

    @Test
    void aPruneWithNoKeepRuleIsRefused() {
        copiesAt("2025-03-01T12:00:00Z");
        PolicyException e = assertThrows(PolicyException.class, () -> set.prune(NONE));
        assertThrows(PolicyException.class, () -> apply(NONE, UTC));
        assertEquals("a prune needs at least one keep rule; give --keep-last, --keep-hourly, --keep-daily,"
                + " --keep-weekly, --keep-monthly, --keep-yearly or --keep-within", e.getMessage());
        assertThrows(PolicyException.class, () -> RetentionPolicy.of(0, 0, 0, 0, 0, 0, Duration.ZERO),
                "a zero duration is no rule, as in restic");
    }

    @Test
    void aNegativeCountOrDurationIsAUsageError() {
        PolicyException e = assertThrows(PolicyException.class, () -> RetentionPolicy.of(0, 0, -1, 0, 0, 0, null));
        assertEquals("--keep-daily -1 is negative; give a count of 0 or more, or a positive duration", e.getMessage());
        assertThrows(PolicyException.class, () -> RetentionPolicy.of(1, 0, 0, 0, 0, 0, Duration.ofHours(-1)));
    }

    @Test
    void thePolicyDescribesItselfAsResticDoes() throws Exception {
        RetentionPolicy p = RetentionPolicy.of(0, 0, 7, 4, RetentionPolicy.UNLIMITED, 0, Duration.ofHours(36));
        assertEquals("keep 7 daily, 4 weekly, all monthly backups, all within 36h of the newest", p.describe());
        assertTrue(RetentionPolicy.HOW_RULES_COUNT.contains("ISO 8601 weeks from Monday"));
    }

    @Test
    void anEmptySetKeepsNothing() throws Exception {
        assertEquals(Map.of(), Retention.apply(List.<Backup>of(), NONE.withKeepLast(1), Clock.systemUTC()));
    }
}
