package dev.virtchain.chain;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Which backup a restore, boot or verify means: {@code --at SEQ|CHECKPOINT|ISO-TIME|latest}.
 * {@link #parse} reads the option: {@code latest}, then digits as a seq, then an ISO-8601 time
 * with a zone, and anything else as a checkpoint name.
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
            return new Checkpoint(at);
        }
    }
}
