package dev.virtchain.app.config;

import dev.virtchain.app.cli.Durations;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.RetentionPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Checks and reads the keys of one table of the config file; every error names the key ({@link ConfigFile#error}). */
final class SettingsReader {
    /** The keys of a section, {@code [domain."..."]}. */
    static final List<String> SECTION_KEYS = List.of("root", "level", "checksum", "freeze", "freeze_mountpoints",
            "start_paused", "pre_hook", "post_hook", "hook_timeout", "auto_full", "include", "exclude", "keep", "skip");
    /** The keys of {@code [defaults]}: a section's, and those of the whole run. */
    static final List<String> DEFAULTS_KEYS;
    /** The keys of a {@code keep} table, as {@code prune --keep-*} names them. */
    static final List<String> KEEP_KEYS = List.of("last", "hourly", "daily", "weekly", "monthly", "yearly", "within");

    static {
        List<String> d = new ArrayList<>(List.of("uri", "parallel"));
        d.addAll(SECTION_KEYS);
        DEFAULTS_KEYS = List.copyOf(d);
    }

    private final ConfigFile file;

    SettingsReader(ConfigFile file) {
        this.file = file;
    }

    /** The settings of table {@code t} at {@code at}. */
    Settings settings(ObjectNode t, List<String> at) throws ConfigException {
        String root = text(t, at, "root");
        if (root != null && !root.startsWith("/")) {
            throw file.error(path(at, "root"), "'" + root + "' is not an absolute path");
        }
        String level = text(t, at, "level");
        RequestedLevel requested = null;
        if (level != null) {
            try {
                requested = RequestedLevel.of(level);
            } catch (IllegalArgumentException e) {
                throw file.error(path(at, "level"), "'" + level + "': expected full, inc, diff, copy or auto");
            }
        }
        String checksum = text(t, at, "checksum");
        if (checksum != null && !Checksum.COMPUTABLE.contains(checksum)) {
            throw file.error(path(at, "checksum"), "'" + checksum + "': expected "
                    + String.join(", ", Checksum.COMPUTABLE));
        }
        List<String> mountpoints = texts(t, at, "freeze_mountpoints");
        for (String m : mountpoints == null ? List.<String>of() : mountpoints) {
            if (!m.startsWith("/")) {
                throw file.error(path(at, "freeze_mountpoints"), "'" + m + "': expected absolute guest mountpoints");
            }
        }
        Integer timeout = count(t, at, "hook_timeout", 1, Integer.MAX_VALUE);
        return new Settings(root == null ? null : Path.of(root), requested, checksum, flag(t, at, "freeze"),
                mountpoints, flag(t, at, "start_paused"), text(t, at, "pre_hook"), text(t, at, "post_hook"),
                timeout == null ? null : timeout.longValue(), flag(t, at, "auto_full"), texts(t, at, "include"),
                texts(t, at, "exclude"), keep(t, at), flag(t, at, "skip"));
    }

    /** The keep rules of {@code t.keep}: {@link RetentionPolicy#NONE} for an empty table, null for none given. */
    private RetentionPolicy keep(ObjectNode t, List<String> at) throws ConfigException {
        JsonNode k = t.get("keep");
        if (k == null) {
            return null;
        }
        List<String> kat = path(at, "keep");
        ObjectNode keep = table(k, kat);
        onlyKeys(keep, kat, KEEP_KEYS);
        Duration within = null;
        String w = text(keep, kat, "within");
        if (w != null) {
            try {
                within = Durations.parse(w);
            } catch (IllegalArgumentException e) {
                throw file.error(path(kat, "within"), e.getMessage());
            }
        }
        return new RetentionPolicy(n(keep, kat, "last"), n(keep, kat, "hourly"), n(keep, kat, "daily"),
                n(keep, kat, "weekly"), n(keep, kat, "monthly"), n(keep, kat, "yearly"), within);
    }

    private int n(ObjectNode t, List<String> at, String key) throws ConfigException {
        Integer v = count(t, at, key, 0, Integer.MAX_VALUE);
        return v == null ? 0 : v;
    }

    /** Refuses any key of {@code t} not in {@code known}, naming the ones that are. */
    void onlyKeys(ObjectNode t, List<String> at, List<String> known) throws ConfigException {
        for (Iterator<String> it = t.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!known.contains(key)) {
                throw file.error(path(at, key), "unknown key" + (at.isEmpty() ? "" : " in [" + ConfigFile.keyName(at)
                        + "]") + "; known keys: " + String.join(", ", known));
            }
        }
    }

    /** {@code v} as a table. */
    ObjectNode table(JsonNode v, List<String> at) throws ConfigException {
        if (!(v instanceof ObjectNode t)) {
            throw file.error(at, "expected a table, found " + what(v));
        }
        return t;
    }

    /** Refuses an empty section name or a glob that does not parse. */
    void pattern(String pattern, List<String> at) throws ConfigException {
        if (pattern.isBlank()) {
            throw file.error(at, "expected a domain name or a glob of names, found an empty one");
        }
        try {
            HostConfig.Section.glob(pattern);
        } catch (IllegalArgumentException e) {
            throw file.error(at, "'" + pattern + "' is not a glob of domain names: " + e.getMessage());
        }
    }

    /** The string at {@code t.key}, or null. */
    String text(ObjectNode t, List<String> at, String key) throws ConfigException {
        JsonNode v = t.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw file.error(path(at, key), "expected a string, found " + what(v));
        }
        return v.asText();
    }

    private Boolean flag(ObjectNode t, List<String> at, String key) throws ConfigException {
        JsonNode v = t.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw file.error(path(at, key), "expected true or false, found " + what(v));
        }
        return v.asBoolean();
    }

    /** The whole number at {@code t.key} from {@code min} to {@code max}, or null. */
    Integer count(ObjectNode t, List<String> at, String key, int min, int max) throws ConfigException {
        JsonNode v = t.get(key);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            String range = max == Integer.MAX_VALUE ? min + " or more" : "from " + min + " to " + max;
            throw file.error(path(at, key), "expected a whole number " + range + ", found " + what(v));
        }
        return v.asInt();
    }

    private List<String> texts(ObjectNode t, List<String> at, String key) throws ConfigException {
        JsonNode v = t.get(key);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual() || e.asText().isEmpty()) {
                    throw file.error(path(at, key), "expected a list of names, found " + what(e) + " in it");
                }
                out.add(e.asText());
            }
            return List.copyOf(out);
        }
        throw file.error(path(at, key), "expected a list of names such as [\"vda\", \"vdb\"], found " + what(v));
    }

    private static List<String> path(List<String> at, String key) {
        List<String> p = new ArrayList<>(at);
        p.add(key);
        return p;
    }

    /** What a value is, as a TOML user says it. */
    private static String what(JsonNode v) {
        if (v.isTextual()) {
            return "the string \"" + v.asText() + "\"";
        }
        if (v.isBoolean() || v.isNumber()) {
            return v.toString();
        }
        if (v.isArray()) {
            return "a list";
        }
        return v.isObject() ? "a table" : v.toString();
    }
}
