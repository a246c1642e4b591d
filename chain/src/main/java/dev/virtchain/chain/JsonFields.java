package dev.virtchain.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One JSON object of a manifest being read, with its path for messages
 * ({@code backups[2].disks[0]}): every field read by name and type, each failure one
 * {@link ManifestException} naming the file and the field's path.
 */
final class JsonFields {
    private final String file;
    private final String path;
    private final ObjectNode node;

    JsonFields(String file, String path, ObjectNode node) {
        this.file = file;
        this.path = path;
        this.node = node;
    }

    String at(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    ManifestException bad(String field, String problem) {
        return new ManifestException(file, at(field) + ": " + problem);
    }

    void only(String... fields) throws ManifestException {
        Set<String> known = Set.of(fields);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw bad(f, "unknown field (known here: " + String.join(", ", fields) + ")");
            }
        }
    }

    JsonNode required(String field) throws ManifestException {
        JsonNode v = node.get(field);
        if (v == null) {
            throw bad(field, "missing");
        }
        return v;
    }

    String string(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isTextual()) {
            throw bad(field, v + " is not a string");
        }
        return v.textValue();
    }

    String nullableString(String field) throws ManifestException {
        JsonNode v = required(field);
        return v.isNull() ? null : string(field);
    }

    long longValue(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw bad(field, v + " is not a whole number");
        }
        return v.longValue();
    }

    int integer(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw bad(field, v + " is not a whole number up to " + Integer.MAX_VALUE);
        }
        return v.intValue();
    }

    boolean has(String field) {
        return node.has(field);
    }

    boolean isNull(String field) throws ManifestException {
        return required(field).isNull();
    }

    boolean bool(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isBoolean()) {
            throw bad(field, v + " is not true or false");
        }
        return v.booleanValue();
    }

    /** A file name in the backup directory: a plain name, never a path. */
    String fileName(String field) throws ManifestException {
        return checkFileName(field, string(field));
    }

    String checkFileName(String field, String name) throws ManifestException {
        if (!Naming.isPlainFileName(name)) {
            throw bad(field, "'" + name + "' is not a plain file name");
        }
        return name;
    }

    List<String> strings(String field) throws ManifestException {
        return array(field, JsonNode::isTextual, "a string", JsonNode::textValue);
    }

    List<Integer> integers(String field) throws ManifestException {
        return array(field, e -> e.isIntegralNumber() && e.canConvertToInt(), "a whole number up to "
                + Integer.MAX_VALUE, JsonNode::intValue);
    }

    /** The array {@code field}, each element checked by {@code ok} (else "is not {@code what}") and read by {@code get}. */
    private <T> List<T> array(String field, Predicate<JsonNode> ok, String what, Function<JsonNode, T> get)
            throws ManifestException {
        JsonNode v = required(field);
        if (!v.isArray()) {
            throw bad(field, "is not an array");
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!ok.test(v.get(i))) {
                throw bad(field + "[" + i + "]", v.get(i) + " is not " + what);
            }
            out.add(get.apply(v.get(i)));
        }
        return out;
    }


    Integer nullableInteger(String field) throws ManifestException {
        return required(field).isNull() ? null : integer(field);
    }

    Instant instant(String field) throws ManifestException {
        String s = string(field);
        try {
            return DateTimeFormatter.ISO_INSTANT.parse(s, Instant::from);
        } catch (DateTimeParseException e) {
            throw bad(field, "'" + s + "' is not an ISO-8601 UTC time such as 2025-01-31T02:00:00Z");
        }
    }

    <T> T word(String field, Function<String, T> parse) throws ManifestException {
        String s = string(field);
        try {
            return parse.apply(s);
        } catch (IllegalArgumentException e) {
            throw bad(field, e.getMessage());
        }
    }

    JsonFields object(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isObject()) {
            throw bad(field, "is not an object");
        }
        return new JsonFields(file, at(field), (ObjectNode) v);
    }

    List<JsonFields> objects(String field) throws ManifestException {
        JsonNode v = required(field);
        if (!v.isArray()) {
            throw bad(field, "is not an array");
        }
        List<JsonFields> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            String p = at(field) + "[" + i + "]";
            if (!e.isObject()) {
                throw new ManifestException(file, p + ": is not an object");
            }
            out.add(new JsonFields(file, p, (ObjectNode) e));
        }
        return out;
    }

    /** Builds a record from checked fields; a rule the record itself enforces is reported at this path. */
    <T> T build(Builder<T> b) throws ManifestException {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ManifestException(file, (path.isEmpty() ? "" : path + ": ") + e.getMessage());
        }
    }

    /** Makes a record from fields already read; may throw what the record's rules throw. */
    @FunctionalInterface
    interface Builder<T> {
        T build() throws ManifestException;
    }
}
