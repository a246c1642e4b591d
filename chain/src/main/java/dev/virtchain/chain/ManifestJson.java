package dev.virtchain.chain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The manifest's JSON form, format {@value #FORMAT}. Reading checks the format number first (a
 * newer layout must get a format error, not a confusing field error), then every field by name,
 * then the links between backups; each failure names the file and the field's path. Unknown
 * fields are refused: rewriting a manifest would otherwise silently drop them.
 */
final class ManifestJson {
    /** The one manifest layout this virtchain reads and writes. */
    static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestJson() {
    }

    static byte[] encode(Manifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("setId", m.setId());
        ObjectNode domain = root.putObject("domain");
        domain.put("name", m.domain().name());
        domain.put("uuid", m.domain().uuid().toString());
        ArrayNode backups = root.putArray("backups");
        for (Backup b : m.backups()) {
            ObjectNode o = backups.addObject();
            o.put("seq", b.seq());
            o.put("level", b.level().word());
            o.put("time", DateTimeFormatter.ISO_INSTANT.format(b.time()));
            o.put("checkpoint", b.checkpoint());
            o.put("parentSeq", b.parentSeq());
            ArrayNode disks = o.putArray("disks");
            for (DiskBackup d : b.disks()) {
                ObjectNode n = disks.addObject();
                n.put("target", d.target());
                n.put("file", d.file());
                n.put("virtualSize", d.virtualSize());
                n.put("backingFile", d.backingFile());
                n.put("bytesWritten", d.bytesWritten());
                ObjectNode sum = n.putObject("checksum");
                sum.put("algorithm", d.checksum().algorithm());
                sum.put("value", d.checksum().value());
                n.put("mode", d.mode().word());
            }
        }
        try {
            byte[] text = JSON.writeValueAsBytes(root);
            byte[] withNewline = java.util.Arrays.copyOf(text, text.length + 1);
            withNewline[text.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serialises", e);
        }
    }

    /** Reads manifest {@code json}; {@code file} names it in errors. */
    static Manifest decode(String file, byte[] json) throws ManifestException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ManifestException(file, "not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new ManifestException(ErrorKind.IO, file, "cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ManifestException(file, "not a JSON object");
        }
        Obj top = new Obj(file, "", (ObjectNode) root);
        JsonNode format = root.get("format");
        if (format == null) {
            throw new ManifestException(file, "format: missing; this is not a virtchain manifest, or a damaged one");
        }
        if (!format.isInt() || format.intValue() != FORMAT) {
            throw new ManifestException(ErrorKind.UNSUPPORTED, file, "format: " + format
                    + " is not a manifest format this virtchain reads (it reads format " + FORMAT + ")",
                    "a newer virtchain wrote it: use that version");
        }
        top.only("format", "setId", "domain", "backups");
        String setId = top.string("setId");
        if (!Naming.isSetId(setId)) {
            throw top.bad("setId", "'" + setId + "' is not a set id (1 to 32 of a-z and 0-9)");
        }
        Obj dom = top.object("domain");
        dom.only("name", "uuid");
        Domain domain = dom.build(() -> new Domain(dom.string("name"), uuid(dom)));
        List<Backup> backups = new ArrayList<>();
        int i = 0;
        for (Obj b : top.objects("backups")) {
            backups.add(backup(b, i++));
        }
        try {
            return new Manifest(setId, domain, backups);
        } catch (IllegalArgumentException e) {
            throw new ManifestException(file, e.getMessage());
        }
    }

    private static UUID uuid(Obj dom) throws ManifestException {
        String s = dom.string("uuid");
        try {
            UUID u = UUID.fromString(s);
            if (u.toString().equalsIgnoreCase(s)) {
                return u;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw dom.bad("uuid", "'" + s + "' is not a UUID");
    }

    private static Backup backup(Obj b, int index) throws ManifestException {
        b.only("seq", "level", "time", "checkpoint", "parentSeq", "disks");
        int seq = b.integer("seq");
        Level level = b.word("level", Level::of);
        Instant time = b.instant("time");
        String checkpoint = b.nullableString("checkpoint");
        Integer parent = b.nullableInteger("parentSeq");
        List<DiskBackup> disks = new ArrayList<>();
        for (Obj d : b.objects("disks")) {
            disks.add(disk(d));
        }
        return b.build(() -> new Backup(seq, level, time, checkpoint, parent, disks));
    }

    private static DiskBackup disk(Obj d) throws ManifestException {
        d.only("target", "file", "virtualSize", "backingFile", "bytesWritten", "checksum", "mode");
        String target = d.string("target");
        String file = d.string("file");
        long size = d.longValue("virtualSize");
        String backing = d.nullableString("backingFile");
        long written = d.longValue("bytesWritten");
        Obj sum = d.object("checksum");
        sum.only("algorithm", "value");
        Checksum checksum = sum.build(() -> new Checksum(sum.string("algorithm"), sum.string("value")));
        DiskMode mode = d.word("mode", DiskMode::of);
        return d.build(() -> new DiskBackup(target, file, size, backing, written, checksum, mode));
    }

    /** One JSON object being read, with its path for messages ({@code backups[2].disks[0]}). */
    private static final class Obj {
        private final String file;
        private final String path;
        private final ObjectNode node;

        Obj(String file, String path, ObjectNode node) {
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
                    throw bad(f, "unknown field (format " + FORMAT + " has " + String.join(", ", fields) + ")");
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

        <T> T word(String field, java.util.function.Function<String, T> parse) throws ManifestException {
            String s = string(field);
            try {
                return parse.apply(s);
            } catch (IllegalArgumentException e) {
                throw bad(field, e.getMessage());
            }
        }

        Obj object(String field) throws ManifestException {
            JsonNode v = required(field);
            if (!v.isObject()) {
                throw bad(field, "is not an object");
            }
            return new Obj(file, at(field), (ObjectNode) v);
        }

        List<Obj> objects(String field) throws ManifestException {
            JsonNode v = required(field);
            if (!v.isArray()) {
                throw bad(field, "is not an array");
            }
            List<Obj> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                String p = at(field) + "[" + i + "]";
                if (!e.isObject()) {
                    throw new ManifestException(file, p + ": is not an object");
                }
                out.add(new Obj(file, p, (ObjectNode) e));
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
    }

    @FunctionalInterface
    private interface Builder<T> {
        T build() throws ManifestException;
    }
}
