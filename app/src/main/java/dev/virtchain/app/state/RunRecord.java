package dev.virtchain.app.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.io.DurableFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * How the last {@code virtchain backup} run into a backup directory ended, kept as
 * {@code DIR/last-run.json} ({@link Naming#LAST_RUN}) so that {@code status} can tell a monitoring
 * system that last night's run failed even though the manifest, which only names backups that
 * exist, did not change. Written atomically at the end of every run, success or failure.
 *
 * @param domain   the domain the run was asked to back up
 * @param level    the level it was asked for (auto, full, inc, diff, copy)
 * @param started  when the run started
 * @param finished when it ended
 * @param ok       whether it succeeded (a backup was made, and pruned if asked)
 * @param error    the one line it printed when it failed, without the "virtchain: " prefix; null when ok
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record RunRecord(String domain, String level, String started, String finished, boolean ok, String error) {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public RunRecord {
        if (started == null || finished == null) {
            throw new IllegalArgumentException("started and finished are required");
        }
        Instant.parse(started);
        Instant.parse(finished);
        if (ok == (error != null)) {
            throw new IllegalArgumentException(ok ? "a run that succeeded has no error" : "a failed run names its error");
        }
    }

    public Instant startTime() {
        return Instant.parse(started);
    }

    public Instant finishTime() {
        return Instant.parse(finished);
    }

    /**
     * The record of {@code dir}, or empty when no run recorded one there (a directory of an older
     * virtchain). A record that cannot be read fails with one line naming it.
     */
    public static Optional<RunRecord> read(Path dir) throws IOException {
        Path file = dir.resolve(Naming.LAST_RUN);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(text, RunRecord.class));
        } catch (JacksonException | IllegalArgumentException | DateTimeParseException e) {
            throw new ImageException(ErrorKind.CORRUPT, file.toString(), "unreadable record of the last backup run"
                    + " (the next backup run replaces it)");
        }
    }

    /** Replaces the record of {@code dir} with this one, atomically and durably. */
    public void write(Path dir) throws IOException {
        DurableFiles.writeString(dir.resolve(Naming.LAST_RUN), MAPPER.writeValueAsString(this) + "\n");
    }

    /** A run under way: it knows when it started and writes its record when it ends. */
    public static final class Run {
        private final Path dir;
        private final String domain;
        private final String level;
        private final Clock clock;
        private final Instant started;
        private boolean ended;

        private Run(Path dir, String domain, String level, Clock clock) {
            this.dir = dir;
            this.domain = domain;
            this.level = level;
            this.clock = clock;
            this.started = clock.instant();
        }

        /**
         * Records how the run ended: {@code error} null for success, else the one line it printed.
         * Only the first call writes. A directory that does not exist (the run failed before it
         * made it) gets no record; a record that cannot be written is a warning on {@code err}, never
         * a change to the run's outcome.
         */
        public void end(String error, PrintWriter err) {
            if (ended) {
                return;
            }
            ended = true;
            if (!Files.isDirectory(dir)) {
                return;
            }
            RunRecord r = new RunRecord(domain, level, started.toString(), clock.instant().toString(), error == null,
                    error);
            try {
                r.write(dir);
            } catch (IOException e) {
                err.println("virtchain: warning: could not record the run in " + dir.resolve(Naming.LAST_RUN) + ": "
                        + ImageException.reason(e));
                err.flush();
            }
        }
    }

    /** Notes the start of a backup run of {@code domain} into {@code dir}; {@link Run#end} records its end. */
    public static Run begin(Path dir, String domain, String level, Clock clock) {
        return new Run(dir, domain, level, clock);
    }
}
