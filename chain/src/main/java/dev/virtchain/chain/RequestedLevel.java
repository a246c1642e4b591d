package dev.virtchain.chain;

import java.util.Locale;

/** The level a user asks for: one of the {@link Level}s, or {@code auto} to let the planner choose. */
public enum RequestedLevel {
    FULL, INC, DIFF, COPY,
    /** Full when the directory has no full backup to build on, inc otherwise. */
    AUTO;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The word with its article, as a sentence says it: {@code a full}, {@code an inc}. */
    public String withArticle() {
        return ("aeiou".indexOf(word().charAt(0)) >= 0 ? "an " : "a ") + word();
    }

    /** The level asked for; {@code auto} has none until the planner chooses. */
    Level level() {
        if (this == AUTO) {
            throw new IllegalStateException("auto is resolved by the planner");
        }
        return Level.valueOf(name());
    }

    /** The request named by {@code word}; IllegalArgumentException naming the accepted words otherwise. */
    public static RequestedLevel of(String word) {
        for (RequestedLevel l : values()) {
            if (l.word().equals(word)) {
                return l;
            }
        }
        throw new IllegalArgumentException("'" + word + "' is not a backup level (full, inc, diff, copy or auto)");
    }
}
