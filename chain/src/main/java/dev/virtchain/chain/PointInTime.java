package dev.virtchain.chain;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Which backup a restore, boot or verify means: {@code --at SEQ|CHECKPOINT|ISO-TIME|latest}.
 * {@link #parse} reads the option: {@code latest}, then digits as a seq, then an ISO-8601 time
 * with a zone, and anything else as a checkpoint name (a date without a time or zone is an error,
 * not a checkpoint name: a time in an unknown zone could pick the wrong backup).
 */
public sealed interface PointInTime {
    /** The newest backup. */
    record Latest() implements PointInTime {
    }

    /** The backup numbered {@code seq}. */
    record Seq(int seq) implements PointInTime {
    }

    /** The backup that created checkpoint {@code name}. */
    record Checkpoint(String name) implements PointInTime {
    }

    /** The newest backup taken at or before {@code time}. */
    record Time(Instant time) implements PointInTime {
    }

    static PointInTime parse(String at) {
        if (at == null || at.isBlank()) {
            throw new IllegalArgumentException("--at needs a seq, a checkpoint name, an ISO-8601 time or latest");
        }
        if (at.equals("latest")) {
            return new Latest();
        }
        if (at.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return new Seq(Integer.parseInt(at));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("seq " + at + " is too large");
            }
        }
        try {
            return new Time(OffsetDateTime.parse(at).toInstant());
        } catch (DateTimeParseException e) {
            if (at.matches("\\d{4}-\\d{2}-\\d{2}.*")) {
                throw new IllegalArgumentException("'" + at + "' is not an ISO-8601 time with a zone, such as"
                        + " 2025-03-05T02:00:00Z or 2025-03-05T03:00:00+01:00");
            }
            return new Checkpoint(at);
        }
    }
}
