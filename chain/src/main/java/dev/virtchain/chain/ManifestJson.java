package dev.virtchain.chain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.chain.prune.ManifestChange;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.chain.prune.PruneStep;
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
 * The manifest's JSON form, formats {@value #FORMAT} and {@value #FORMAT_PRUNED}. Reading checks the
 * format number first (a newer layout must get a format error, not a confusing field error), then
 * every field by name, then the links between backups; each failure names the file and the field's
 * path. Unknown fields are refused: rewriting a manifest would otherwise silently drop them.
 *
 * <p>Format {@value #FORMAT_PRUNED} adds {@code bases} (records that are not restore points),
 * {@code prune} (the journal of a prune under way, or null) and, in a backup's record, {@code merged}
 * (the seqs a prune merged into it; written only when there are some, and read as none when it is
 * absent, as in the format 2 manifests written before it existed). It is written only when a
 * manifest has any of them, so a directory never pruned keeps format {@value #FORMAT}, and a virtchain from
 * before prune refuses a pruned one by its format ("a newer virtchain wrote it") instead of
 * offering bases as restore points.
 */
final class ManifestJson {
    /** The layout of a manifest without bases or prune journal. */
    static final int FORMAT = 1;
    /** The layout that also holds bases and the prune journal. */
    static final int FORMAT_PRUNED = 2;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestJson() {
    }

    static byte[] encode(Manifest m) {
        boolean pruned = !m.bases().isEmpty() || m.journal() != null
                || m.backups().stream().anyMatch(b -> !b.merged().isEmpty());
        ObjectNode root = JSON.createObjectNode();
        root.put("format", pruned ? FORMAT_PRUNED : FORMAT);
        root.put("setId", m.setId());
        ObjectNode domain = root.putObject("domain");
        domain.put("name", m.domain().name());
        domain.put("uuid", m.domain().uuid().toString());
        ArrayNode backups = root.putArray("backups");
        for (Backup b : m.backups()) {
            encodeBackup(backups.addObject(), b);
        }
        if (pruned) {
            ArrayNode bases = root.putArray("bases");
            m.bases().forEach(bases::add);
            if (m.journal() == null) {
                root.putNull("prune");
            } else {
                encodeJournal(root.putObject("prune"), m.journal());
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

    private static void encodeBackup(ObjectNode o, Backup b) {
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
            if (!b.merged().isEmpty()) {
                ArrayNode merged = o.putArray("merged");
                b.merged().forEach(merged::add);
            }
    }

    private static void encodeJournal(ObjectNode o, PruneJournal j) {
        o.put("began", DateTimeFormatter.ISO_INSTANT.format(j.began()));
        o.put("done", j.done());
        o.put("started", j.started());
        ArrayNode steps = o.putArray("steps");
        for (PruneStep step : j.steps()) {
            ObjectNode n = steps.addObject();
            if (step instanceof PruneStep.Commit c) {
                n.put("step", "commit");
                n.put("target", c.target());
                n.put("into", c.into());
                ArrayNode through = n.putArray("through");
                c.through().forEach(through::add);
                n.put("top", c.top());
                n.put("virtualSize", c.virtualSize());
                n.put("bytesToCopy", c.bytesToCopy());
            } else if (step instanceof PruneStep.Rename r) {
                n.put("step", "rename");
                n.put("from", r.from());
                n.put("to", r.to());
                n.put("bytesReplaced", r.bytesReplaced());
            } else if (step instanceof PruneStep.DeleteFile f) {
                n.put("step", "deleteFile");
                n.put("file", f.file());
                n.put("bytes", f.bytes());
            } else if (step instanceof PruneStep.DeleteSavedFiles f) {
                n.put("step", "deleteSavedFiles");
                n.put("seq", f.seq());
            } else if (step instanceof PruneStep.DeleteCheckpoint c) {
                n.put("step", "deleteCheckpoint");
                n.put("checkpoint", c.checkpoint());
            } else if (step instanceof PruneStep.ManifestUpdate u) {
                n.put("step", "manifestUpdate");
                ArrayNode changes = n.putArray("changes");
                for (ManifestChange change : u.changes()) {
                    ObjectNode c = changes.addObject();
                    if (change instanceof ManifestChange.Unlist l) {
                        c.put("change", "unlist");
                        c.put("seq", l.seq());
                    } else if (change instanceof ManifestChange.Forget f) {
                        c.put("change", "forget");
                        c.put("seq", f.seq());
                    } else if (change instanceof ManifestChange.Rewrite w) {
                        c.put("change", "rewrite");
                        encodeBackup(c.putObject("after"), w.after());
                        ArrayNode recompute = c.putArray("recomputeChecksums");
                        w.recomputeChecksums().forEach(recompute::add);
                    }
                }
            }
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
        if (!format.isInt() || format.intValue() != FORMAT && format.intValue() != FORMAT_PRUNED) {
            throw new ManifestException(ErrorKind.UNSUPPORTED, file, "format: " + format
                    + " is not a manifest format this virtchain reads (it reads formats " + FORMAT + " and "
                    + FORMAT_PRUNED + ")", "a newer virtchain wrote it: use that version");
        }
        boolean pruned = format.intValue() == FORMAT_PRUNED;
        if (pruned) {
            top.only("format", "setId", "domain", "backups", "bases", "prune");
        } else {
            top.only("format", "setId", "domain", "backups");
        }
        String setId = top.string("setId");
        if (!Naming.isSetId(setId)) {
            throw top.bad("setId", "'" + setId + "' is not a set id (1 to 32 of a-z and 0-9)");
        }
        Obj dom = top.object("domain");
        dom.only("name", "uuid");
        Domain domain = dom.build(() -> new Domain(dom.string("name"), uuid(dom)));
        List<Backup> backups = new ArrayList<>();
        for (Obj b : top.objects("backups")) {
            backups.add(backup(b, pruned));
        }
        Set<Integer> bases = new java.util.TreeSet<>();
        PruneJournal journal = null;
        if (pruned) {
            bases.addAll(top.integers("bases"));
            if (!top.isNull("prune")) {
                journal = journal(top.object("prune"));
            }
        }
        try {
            return new Manifest(setId, domain, backups, bases, journal);
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

    /** A backup's record; {@code pruned}: format 2, where it may name the backups merged into it. */
    private static Backup backup(Obj b, boolean pruned) throws ManifestException {
        if (pruned) {
            b.only("seq", "level", "time", "checkpoint", "parentSeq", "disks", "merged");
        } else {
            b.only("seq", "level", "time", "checkpoint", "parentSeq", "disks");
        }
        int seq = b.integer("seq");
        Level level = b.word("level", Level::of);
        Instant time = b.instant("time");
        String checkpoint = b.nullableString("checkpoint");
        Integer parent = b.nullableInteger("parentSeq");
        List<DiskBackup> disks = new ArrayList<>();
        for (Obj d : b.objects("disks")) {
            disks.add(disk(d));
        }
        List<Integer> merged = b.has("merged") ? b.integers("merged") : List.of();
        return b.build(() -> new Backup(seq, level, time, checkpoint, parent, disks, merged));
    }

    private static PruneJournal journal(Obj j) throws ManifestException {
        j.only("began", "done", "started", "steps");
        Instant began = j.instant("began");
        int done = j.integer("done");
        boolean started = j.bool("started");
        List<PruneStep> steps = new ArrayList<>();
        for (Obj s : j.objects("steps")) {
            steps.add(step(s));
        }
        return j.build(() -> new PruneJournal(began, steps, done, started));
    }

    private static PruneStep step(Obj s) throws ManifestException {
        String kind = s.string("step");
        switch (kind) {
            case "commit" -> {
                s.only("step", "target", "into", "through", "top", "virtualSize", "bytesToCopy");
                String target = s.string("target");
                String into = s.fileName("into");
                List<String> through = new ArrayList<>();
                for (String f : s.strings("through")) {
                    through.add(s.checkFileName("through", f));
                }
                String top = s.fileName("top");
                long size = s.longValue("virtualSize");
                long bytes = s.longValue("bytesToCopy");
                return s.build(() -> new PruneStep.Commit(target, into, through, top, size, bytes));
            }
            case "rename" -> {
                s.only("step", "from", "to", "bytesReplaced");
                return new PruneStep.Rename(s.fileName("from"), s.fileName("to"), s.longValue("bytesReplaced"));
            }
            case "deleteFile" -> {
                s.only("step", "file", "bytes");
                return new PruneStep.DeleteFile(s.fileName("file"), s.longValue("bytes"));
            }
            case "deleteSavedFiles" -> {
                s.only("step", "seq");
                return new PruneStep.DeleteSavedFiles(s.integer("seq"));
            }
            case "deleteCheckpoint" -> {
                s.only("step", "checkpoint");
                String name = s.string("checkpoint");
                if (!Naming.isCheckpointName(name)) {
                    throw s.bad("checkpoint", "'" + name + "' is not a checkpoint name");
                }
                return new PruneStep.DeleteCheckpoint(name);
            }
            case "manifestUpdate" -> {
                s.only("step", "changes");
                List<ManifestChange> changes = new ArrayList<>();
                for (Obj c : s.objects("changes")) {
                    changes.add(change(c));
                }
                return s.build(() -> new PruneStep.ManifestUpdate(changes));
            }
            default -> throw s.bad("step", "'" + kind + "' is not a prune step (commit, rename, deleteFile, "
                    + "deleteSavedFiles, deleteCheckpoint, manifestUpdate)");
        }
    }

    private static ManifestChange change(Obj c) throws ManifestException {
        String kind = c.string("change");
        switch (kind) {
            case "unlist" -> {
                c.only("change", "seq");
                return new ManifestChange.Unlist(c.integer("seq"));
            }
            case "forget" -> {
                c.only("change", "seq");
                return new ManifestChange.Forget(c.integer("seq"));
            }
            case "rewrite" -> {
                c.only("change", "after", "recomputeChecksums");
                Backup after = backup(c.object("after"), true);
                List<String> recompute = c.strings("recomputeChecksums");
                return new ManifestChange.Rewrite(after, recompute);
            }
            default -> throw c.bad("change", "'" + kind + "' is not a manifest change (unlist, forget, rewrite)");
        }
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
            JsonNode v = required(field);
            if (!v.isArray()) {
                throw bad(field, "is not an array");
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                if (!v.get(i).isTextual()) {
                    throw bad(field + "[" + i + "]", v.get(i) + " is not a string");
                }
                out.add(v.get(i).textValue());
            }
            return out;
        }

        List<Integer> integers(String field) throws ManifestException {
            JsonNode v = required(field);
            if (!v.isArray()) {
                throw bad(field, "is not an array");
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode e = v.get(i);
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw bad(field + "[" + i + "]", e + " is not a whole number up to " + Integer.MAX_VALUE);
                }
                out.add(e.intValue());
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
