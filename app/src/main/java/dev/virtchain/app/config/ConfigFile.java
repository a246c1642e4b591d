package dev.virtchain.app.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.toml.TomlStreamReadException;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads the config file, {@code /etc/virtchain/virtchain.toml} by default, with jackson's TOML
 * parser, and checks every key and value ({@link SettingsReader}). An error is one line naming
 * the file, the line and the key: the parser's own location for a file that is not TOML; for an
 * unknown key or a bad value, the first line by which the parser has read that key (the parser
 * keeps no locations in the tree it returns, so the file's lines are parsed again, a growing part
 * at a time, until the key appears; a value spread over lines is named by its last line).
 */
public final class ConfigFile {
    /** Where the packaged config file lives, and where {@code backup --all} looks without --config. */
    public static final Path DEFAULT = Path.of("/etc/virtchain/virtchain.toml");

    private static final TomlMapper TOML = new TomlMapper();

    private final Path file;
    private final String text;

    private ConfigFile(Path file, String text) {
        this.file = file;
        this.text = text;
    }

    /**
     * The config of {@code given} (--config; it must exist), or else of {@link #DEFAULT} when that
     * exists, or else {@link HostConfig#EMPTY}.
     */
    public static HostConfig load(Path given) throws IOException {
        if (given == null && !Files.exists(DEFAULT)) {
            return HostConfig.EMPTY;
        }
        return read(given != null ? given : DEFAULT);
    }

    /** Reads and checks {@code file}. */
    public static HostConfig read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(ErrorKind.NOT_FOUND, file + ": no such config file");
        }
        return new ConfigFile(file, text).parse();
    }

    private HostConfig parse() throws ConfigException {
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (TomlStreamReadException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException(ErrorKind.CORRUPT, file + (line > 0 ? " line " + line : "") + ": not valid TOML: "
                    + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new ConfigException(ErrorKind.CORRUPT, file + ": not valid TOML: " + e.getOriginalMessage());
        }
        SettingsReader r = new SettingsReader(this);
        r.onlyKeys((ObjectNode) root, List.of(), List.of("defaults", "domain"));
        String uri = null;
        Integer parallel = null;
        Settings defaults = Settings.NONE;
        JsonNode d = root.get("defaults");
        if (d != null) {
            List<String> at = List.of("defaults");
            ObjectNode t = r.table(d, at);
            r.onlyKeys(t, at, SettingsReader.DEFAULTS_KEYS);
            uri = r.text(t, at, "uri");
            parallel = r.count(t, at, "parallel", 1, 64);
            defaults = r.settings(t, at);
        }
        List<HostConfig.Section> sections = new ArrayList<>();
        JsonNode domains = root.get("domain");
        if (domains != null) {
            ObjectNode all = r.table(domains, List.of("domain"));
            for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                List<String> at = List.of("domain", e.getKey());
                r.pattern(e.getKey(), at);
                ObjectNode t = r.table(e.getValue(), at);
                r.onlyKeys(t, at, SettingsReader.SECTION_KEYS);
                sections.add(new HostConfig.Section(e.getKey(), r.settings(t, at)));
            }
        }
        return new HostConfig(file, uri, parallel, defaults, sections);
    }

    /** The error about the key at {@code path}: the file, the key's line when found, the key, the problem. */
    ConfigException error(List<String> path, String problem) {
        int line = lineOf(path);
        return new ConfigException(ErrorKind.CORRUPT, file + (line > 0 ? " line " + line : "") + ": "
                + keyName(path) + ": " + problem);
    }

    /** The first line by which the parser has read the key at {@code path}; -1 if never. */
    private int lineOf(List<String> path) {
        String[] lines = text.split("\n", -1);
        StringBuilder prefix = new StringBuilder();
        for (int n = 0; n < lines.length; n++) {
            prefix.append(lines[n]).append('\n');
            JsonNode t;
            try {
                t = TOML.readTree(prefix.toString());
            } catch (JsonProcessingException e) {
                continue; // cut inside a value spread over lines
            }
            for (String key : path) {
                t = t == null ? null : t.get(key);
            }
            if (t != null) {
                return n + 1;
            }
        }
        return -1;
    }

    /** A key as TOML writes its path: {@code domain."web*".include}. */
    static String keyName(List<String> path) {
        List<String> parts = new ArrayList<>();
        for (String p : path) {
            parts.add(p.matches("[A-Za-z0-9_-]+") ? p : "\"" + p.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
        }
        return String.join(".", parts);
    }
}
