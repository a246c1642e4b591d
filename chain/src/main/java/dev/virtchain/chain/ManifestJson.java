package dev.virtchain.chain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
        if (m.domain().uri() != null) {
            domain.put("uri", m.domain().uri());
        }
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
                JournalJson.encode(root.putObject("prune"), m.journal());
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

    static void encodeBackup(ObjectNode o, Backup b) {
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
        JsonFields top = new JsonFields(file, "", (ObjectNode) root);
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
        JsonFields dom = top.object("domain");
        dom.only("name", "uuid", "uri");
        String uri = dom.has("uri") ? dom.string("uri") : null;
        Domain domain = dom.build(() -> new Domain(dom.string("name"), uuid(dom), uri));
        List<Backup> backups = new ArrayList<>();
        for (JsonFields b : top.objects("backups")) {
            backups.add(backup(b, pruned));
        }
        Set<Integer> bases = new TreeSet<>();
        PruneJournal journal = null;
        if (pruned) {
            bases.addAll(top.integers("bases"));
            if (!top.isNull("prune")) {
                journal = JournalJson.decode(top.object("prune"));
            }
        }
        try {
            return new Manifest(setId, domain, backups, bases, journal);
        } catch (IllegalArgumentException e) {
            throw new ManifestException(file, e.getMessage());
        }
    }

    private static UUID uuid(JsonFields dom) throws ManifestException {
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
    static Backup backup(JsonFields b, boolean pruned) throws ManifestException {
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
        for (JsonFields d : b.objects("disks")) {
            disks.add(disk(d));
        }
        List<Integer> merged = b.has("merged") ? b.integers("merged") : List.of();
        return b.build(() -> new Backup(seq, level, time, checkpoint, parent, disks, merged));
    }

    private static DiskBackup disk(JsonFields d) throws ManifestException {
        d.only("target", "file", "virtualSize", "backingFile", "bytesWritten", "checksum", "mode");
        String target = d.string("target");
        String file = d.string("file");
        long size = d.longValue("virtualSize");
        String backing = d.nullableString("backingFile");
        long written = d.longValue("bytesWritten");
        JsonFields sum = d.object("checksum");
        sum.only("algorithm", "value");
        Checksum checksum = sum.build(() -> new Checksum(sum.string("algorithm"), sum.string("value")));
        DiskMode mode = d.word("mode", DiskMode::of);
        return d.build(() -> new DiskBackup(target, file, size, backing, written, checksum, mode));
    }
}
