package dev.virtchain.app.state;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.io.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What one instant boot made, kept as {@code boot.json} in its scratch directory so that
 * {@code boot --stop} knows what to destroy and delete, from another process.
 *
 * @param name     the transient domain's name
 * @param uri      the libvirt URI it runs on
 * @param dir      the backup directory it boots from (absolute)
 * @param seq      the backup booted
 * @param scratch  the scratch directory (absolute), holding everything listed here
 * @param overlays per disk target, the throwaway overlay on top of that disk's chain
 * @param pty      the domain has a pty console ({@code virsh console} reaches it)
 * @param consoleFiles the files its serial ports and consoles write to
 * @param guestAgent the domain has a guest agent channel
 */
public record BootState(String name, String uri, String dir, int seq, String scratch, Map<String, String> overlays,
                        boolean pty, List<String> consoleFiles, boolean guestAgent) {
    /** Where boot puts scratch directories unless told otherwise: one per booted domain, named after it. */
    public static final Path DEFAULT_SCRATCH = Path.of("/var/tmp/virtchain-boot");

    /** The state file's name inside the scratch directory. */
    public static final String FILE = "boot.json";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public BootState {
        required(name, "name");
        required(uri, "uri");
        required(dir, "dir");
        required(scratch, "scratch");
        overlays = Map.copyOf(required(overlays, "overlays"));
        consoleFiles = List.copyOf(required(consoleFiles, "consoleFiles"));
    }

    private static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": missing");
        }
        return value;
    }

    public void save() throws IOException {
        DurableFiles.writeString(Path.of(scratch).resolve(FILE), MAPPER.writeValueAsString(this));
    }

    /**
     * Records this boot in its backup directory ({@code DIR/.boots/NAME.json}, the same JSON), so that
     * a prune of DIR knows the boot reads its files (docs/DESIGN.md, "Readers and prune").
     */
    public void record() throws IOException {
        Path boots = Files.createDirectories(Path.of(dir).resolve(Naming.BOOTS_DIR));
        DurableFiles.writeString(boots.resolve(name + ".json"), MAPPER.writeValueAsString(this));
    }

    /** Deletes this boot's record in its backup directory, if it is there. */
    public void forget() throws IOException {
        Files.deleteIfExists(Path.of(dir).resolve(Naming.BOOTS_DIR).resolve(name + ".json"));
    }

    /** The record file of a recorded boot. */
    public Path recordFile() {
        return Path.of(dir).resolve(Naming.BOOTS_DIR).resolve(name + ".json");
    }

    /**
     * The boots recorded in backup directory {@code dir}, each with its record file; a record that
     * cannot be read fails with one line naming it.
     */
    public static List<BootState> recorded(Path dir) throws IOException {
        Path boots = dir.resolve(Naming.BOOTS_DIR);
        if (!Files.isDirectory(boots)) {
            return List.of();
        }
        List<BootState> all = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(boots)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    all.add(MAPPER.readValue(Files.readString(f), BootState.class));
                } catch (NoSuchFileException e) {
                    // forgotten meanwhile
                } catch (JacksonException e) {
                    throw new BootException(ErrorKind.CORRUPT, f + ": unreadable boot record: " + problem(e)
                            + "; delete it if no boot of " + dir + " runs");
                }
            }
        }
        return all;
    }

    /** Reads the state of the boot whose scratch directory is {@code scratch}. */
    public static BootState load(Path scratch) throws IOException {
        Path file = scratch.resolve(FILE);
        try {
            return MAPPER.readValue(Files.readString(file), BootState.class);
        } catch (NoSuchFileException e) {
            throw new BootException(ErrorKind.NOT_FOUND, scratch + ": no " + FILE + " there, so no virtchain boot"
                    + " of that name (its scratch directory may be elsewhere: --scratch)");
        } catch (JacksonException e) {
            throw new BootException(ErrorKind.CORRUPT, file + ": unreadable boot state: " + problem(e));
        }
    }

    /** What is wrong with the file, in its own terms: Jackson's messages name Java classes. */
    private static String problem(JacksonException e) {
        if (e instanceof ValueInstantiationException v && v.getCause() instanceof IllegalArgumentException rule) {
            return rule.getMessage();
        }
        String at = e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder path = new StringBuilder();
            for (JsonMappingException.Reference r : m.getPath()) {
                path.append(r.getFieldName() != null ? (path.length() == 0 ? "" : ".") + r.getFieldName()
                        : "[" + r.getIndex() + "]");
            }
            return path + ": not a value of the right type" + at;
        }
        return (e instanceof JsonMappingException ? "not a boot state" : "not valid JSON") + at;
    }
}
