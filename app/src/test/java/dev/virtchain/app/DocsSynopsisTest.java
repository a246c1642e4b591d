package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The synopses in the docs name every option a command has: a paragraph of docs/guide.md that
 * starts with {@code `restore DIR -o OUTDIR [...]`}, and a list item of docs/img.md that starts
 * with {@code `info [...] FILE`}. A command's synopses together must name each of its options
 * (by one of its names) except -h, -V and --debug, and only options it has.
 */
class DocsSynopsisTest {
    private static final Path DOCS = Path.of("..", "docs");
    private static final Set<String> COMMON = Set.of("--help", "--version", "--debug");
    /** An option as a synopsis writes it: -o, --at, --[no-]freeze (not a word with a dash inside). */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[A-Za-z][\\w-]*|--\\[no-\\][\\w-]+)");

    @Test
    void theGuidesSynopsesNameEveryOption() throws IOException {
        CommandLine root = new CommandLine(new VirtchainCommand());
        Map<String, String> synopses = synopses(DOCS.resolve("guide.md"), root.getSubcommands().keySet(), "");
        assertTrue(synopses.keySet().containsAll(List.of("prune", "restore", "boot", "verify")), synopses.keySet().toString());
        assertEquals(List.of(), missing(root, synopses));
    }

    @Test
    void imgMdsSynopsesNameEveryOption() throws IOException {
        CommandLine img = new CommandLine(new VirtchainCommand()).getSubcommands().get("img");
        Map<String, String> synopses = synopses(DOCS.resolve("img.md"), img.getSubcommands().keySet(), "- ");
        assertTrue(synopses.keySet().containsAll(List.of("info", "map", "check", "compare", "create", "flatten",
                "rebase", "commit")), synopses.keySet().toString());
        assertEquals(List.of(), missing(img, synopses));
    }

    /** What each command's synopses leave out, or name but the command does not have. */
    private static List<String> missing(CommandLine parent, Map<String, String> synopses) {
        List<String> problems = new ArrayList<>();
        synopses.forEach((command, text) -> {
            Set<String> named = new TreeSet<>();
            Matcher m = OPTION.matcher(text);
            while (m.find()) {
                named.add(m.group(1).replace("[no-]", ""));
            }
            Set<String> all = new TreeSet<>();
            for (OptionSpec o : parent.getSubcommands().get(command).getCommandSpec().options()) {
                List<String> names = new ArrayList<>(List.of(o.names()));
                if (o.negatable()) {
                    names.replaceAll(n -> n.replace("--no-", "--"));
                }
                all.addAll(names);
                if (names.stream().noneMatch(COMMON::contains) && names.stream().noneMatch(named::contains)) {
                    problems.add(command + ": the synopsis leaves out " + String.join("/", names) + "\n  " + text);
                }
            }
            for (String n : named) {
                if (!all.contains(n)) {
                    problems.add(command + ": the synopsis names " + n + ", which " + command + " does not have\n  " + text);
                }
            }
        });
        return problems;
    }

    /**
     * Per command, its synopses in {@code file}: the backquoted text that starts a paragraph (after
     * {@code prefix}) with the command's name, and a second backquoted part after "(also `alias`)".
     */
    static Map<String, String> synopses(Path file, Set<String> commands, String prefix) throws IOException {
        Pattern start = Pattern.compile("^" + Pattern.quote(prefix) + "`(\\w[\\w-]*)((?: [^`]*)?)`(?: \\(also `[\\w-]+`\\) `([^`]*)`)?");
        Map<String, String> synopses = new TreeMap<>();
        for (String paragraph : paragraphs(Files.readAllLines(file, StandardCharsets.UTF_8), !prefix.isEmpty())) {
            Matcher m = start.matcher(paragraph);
            if (m.find() && commands.contains(m.group(1))) {
                String text = m.group(1) + m.group(2) + (m.group(3) == null ? "" : " " + m.group(3));
                synopses.merge(m.group(1), text, (a, b) -> a + " / " + b);
            }
        }
        return synopses;
    }

    /** The paragraphs of a markdown file outside code blocks, each on one line; with {@code items}, each list item apart. */
    private static List<String> paragraphs(List<String> lines, boolean items) {
        List<String> paragraphs = new ArrayList<>();
        StringBuilder p = new StringBuilder();
        for (String l : lines) {
            boolean ends = l.isBlank() || l.startsWith("    ") && p.isEmpty() || items && l.startsWith("- ");
            if (ends && !p.isEmpty()) {
                paragraphs.add(p.toString().strip());
                p.setLength(0);
            }
            if (!l.isBlank() && !(l.startsWith("    ") && p.isEmpty())) {
                p.append(l.strip()).append(' ');
            }
        }
        if (!p.isEmpty()) {
            paragraphs.add(p.toString().strip());
        }
        return paragraphs;
    }
}
