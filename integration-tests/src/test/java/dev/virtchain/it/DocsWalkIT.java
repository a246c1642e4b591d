package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Walks the documentation as a newcomer does: the lab of docs/guide.md ("Try it on a lab VM",
 * "Restore, boot and verify on the lab"), README.md's "The commands in brief" on that lab, the
 * guide's "Clean up", then docs/img.md. Every indented command block of those sections runs (a block
 * that begins with a {@code $ } prompt is a transcript of another set, which DocExamplesTest runs), as
 * written, in one bash started in the repository root (so {@code export PATH="$PWD:$PATH"} puts
 * {@code ./virtchain}, the packaged jar, on the PATH), and:
 *
 * <ul>
 * <li>each "Output:" block must equal what the command block before it printed on stdout, once
 *     both are {@link #normalise normalised} (times, durations, sizes written, ids, checksums and
 *     offsets differ from run to run);
 * <li>a command that fails must be one the docs show failing: its line ends with
 *     {@code echo "exit $?"}, so the exit code is part of the compared output;
 * <li>every message the prose quotes as printed ({@code `virtchain: ...`}, virsh's
 *     {@code `error: ...`}) must be, byte for byte, in what the command block before it printed
 *     on stderr.
 * </ul>
 *
 * The lab lives where the docs put it, {@code /tmp/vc-lab}; no other test uses it, and the walk
 * removes it ({@code scripts/lab.sh down}) whatever happens.
 */
class DocsWalkIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path LAB = Path.of("/tmp/vc-lab");
    static final Path IMG_DEMO = Path.of("/tmp/vc-demo");
    private static final String MARK = "@@@docs-walk";
    /** A line of libvirt's own log: its version, the host name, warnings (not virsh's "error: ..." lines). */
    private static final Pattern LIBVIRT_LOG = Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+\\+\\d{4}: \\d+: \\w+ : .*$");

    /** The sections walked, in order: everything that uses the lab before the guide's clean-up. */
    static final List<Section> WALK = List.of(
            new Section("docs/guide.md", "Try it on a lab VM"),
            new Section("docs/guide.md", "Restore, boot and verify on the lab"),
            new Section("README.md", "The commands in brief"),
            new Section("docs/guide.md", "Clean up"),
            new Section("docs/img.md", "Working with images: `virtchain img`"));

    @Test
    void theDocsWorkAsWritten() throws Exception {
        HostRequirements.requireTools("qemu-system-x86_64", "qemu-img", "qemu-io", "virsh");
        HostRequirements.requireQemuUser();
        assertTrue(Files.isRegularFile(ROOT.resolve("app/target/virtchain.jar")),
                "app/target/virtchain.jar is missing: run through 'mvn verify', which packages app first");
        if (Files.exists(LAB)) {
            throw new AssertionError(LAB + " exists (a lab in use, or left by a run that was killed): "
                    + "remove it with ./scripts/lab.sh down and run again");
        }
        for (String doc : List.of("README.md", "docs/guide.md")) {
            cleanUpComesLast(doc);
        }
        List<Block> blocks = new ArrayList<>();
        for (Section s : WALK) {
            blocks.addAll(s.blocks());
        }
        Path work = Files.createTempDirectory("docs-walk");
        try {
            List<Ran> ran = run(blocks, work);
            String dump = System.getProperty("docswalk.dump");
            if (dump != null) {
                StringBuilder d = new StringBuilder();
                for (Ran r : ran) {
                    d.append("=== ").append(r.block().where()).append('\n').append(String.join("\n", r.block().commands()))
                            .append("\n--- stdout\n").append(r.stdout()).append("--- stderr\n").append(r.stderr());
                }
                Files.writeString(Path.of(dump), d);
            }
            List<String> problems = new ArrayList<>();
            for (Ran r : ran) {
                problems.addAll(r.problems());
            }
            for (Path left : List.of(LAB, IMG_DEMO)) {
                if (Files.exists(left)) {
                    problems.add("the docs' clean-up leaves " + left + " behind");
                }
            }
            if (!problems.isEmpty()) {
                throw new AssertionError(problems.size() + " places where the docs and the commands disagree:\n\n"
                        + String.join("\n\n", problems));
            }
        } finally {
            if (Files.exists(LAB)) {
                new ProcessBuilder(ROOT.resolve("scripts/lab.sh").toString(), "down").directory(ROOT.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                        .waitFor(2, TimeUnit.MINUTES);
            }
            deleteTree(IMG_DEMO);
            deleteTree(work);
        }
    }

    /** The lab's clean-up ({@code lab.sh down}) is the last thing a doc says to do on the lab. */
    static void cleanUpComesLast(String doc) throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve(doc), StandardCharsets.UTF_8);
        int down = -1;
        for (int i = 0; i < lines.size() && down < 0; i++) {
            down = lines.get(i).contains("lab.sh down") ? i : -1;
        }
        assertTrue(down >= 0, doc + " does not say how to clean up the lab");
        boolean output = false; // in an Output block, which quotes what a command printed
        for (int i = down + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.strip().equals("Output:")) {
                output = true;
            } else if (!l.isBlank() && !l.startsWith("    ")) {
                output = false;
            } else if (!output && l.startsWith("    ") && (l.contains("/tmp/vc-lab") || l.contains("\"$URI\""))) {
                throw new AssertionError(doc + ":" + (i + 1) + " uses the lab after line " + (down + 1)
                        + " cleaned it up: " + l.strip());
            }
        }
    }

    /** A heading's text up to the next heading, in a markdown file of the repository. */
    record Section(String file, String heading) {
        List<Block> blocks() throws IOException {
            List<String> lines = Files.readAllLines(ROOT.resolve(file), StandardCharsets.UTF_8);
            int start = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).matches("#+ " + Pattern.quote(heading))) {
                    start = i + 1;
                    break;
                }
            }
            if (start < 0) {
                throw new AssertionError(file + " has no heading '" + heading + "'");
            }
            int end = start;
            while (end < lines.size() && !lines.get(end).startsWith("#")) {
                end++;
            }
            return parse(file, lines, start, end);
        }
    }

    /** A command block with the output block quoted after it (or null) and the messages the prose says it prints. */
    record Block(String file, int line, List<String> commands, List<String> output, List<String> stderrQuotes) {
        String where() {
            return file + ":" + line;
        }
    }

    /** The blocks between lines {@code from} and {@code to}: indented code, "Output:" and the prose around. */
    static List<Block> parse(String file, List<String> lines, int from, int to) {
        List<Block> blocks = new ArrayList<>();
        int cmdLine = -1;
        List<String> cmd = null;
        List<String> out = null;
        List<String> quotes = new ArrayList<>();
        boolean outputNext = false;
        int i = from;
        while (i < to) {
            String l = lines.get(i);
            boolean afterBlank = i == from || lines.get(i - 1).isBlank();
            if (l.startsWith("    ") && afterBlank) {
                List<String> code = new ArrayList<>();
                int first = i;
                while (i < to && (lines.get(i).startsWith("    ") || lines.get(i).isBlank())) {
                    code.add(lines.get(i).isBlank() ? "" : lines.get(i).substring(4));
                    i++;
                }
                while (!code.isEmpty() && code.get(code.size() - 1).isEmpty()) {
                    code.remove(code.size() - 1);
                }
                if (!outputNext && !code.isEmpty() && code.get(0).startsWith("$ ")) {
                    continue; // a transcript with its prompt, run on a test set elsewhere: DocExamplesTest
                }
                if (outputNext) {
                    if (cmd == null || out != null) {
                        throw new AssertionError(file + ":" + (first + 1) + ": an Output block with no command block before it");
                    }
                    out = code;
                    outputNext = false;
                } else {
                    if (cmd != null) {
                        blocks.add(new Block(file, cmdLine, cmd, out, quotes));
                    }
                    cmd = code;
                    cmdLine = first + 1;
                    out = null;
                    quotes = new ArrayList<>();
                }
                continue;
            }
            if (!l.isBlank()) { // a paragraph of prose
                StringBuilder p = new StringBuilder();
                while (i < to && !lines.get(i).isBlank()) {
                    p.append(lines.get(i).strip()).append(' ');
                    i++;
                }
                String text = p.toString().strip();
                if (text.equals("Output:")) {
                    outputNext = true;
                } else {
                    Matcher m = Pattern.compile("`([^`]+)`").matcher(text);
                    while (m.find()) {
                        String q = m.group(1);
                        if ((q.startsWith("virtchain: ") || q.startsWith("error: ")) && !q.contains("...")) {
                            if (cmd == null) {
                                throw new AssertionError(file + ": `" + q + "` is quoted before any command");
                            }
                            quotes.add(q);
                        }
                    }
                }
                continue;
            }
            i++;
        }
        if (cmd != null) {
            blocks.add(new Block(file, cmdLine, cmd, out, quotes));
        }
        return blocks;
    }

    /** What one block printed, and how it differs from what the docs say. */
    record Ran(Block block, String stdout, String stderr, List<int[]> failures) {
        List<String> problems() {
            List<String> p = new ArrayList<>();
            for (int[] f : failures) {
                String line = block.commands().get(f[0]);
                if (!line.strip().endsWith("echo \"exit $?\"")) {
                    p.add(block.where() + ": `" + line.strip() + "` exited " + f[1]
                            + ", and the docs do not show it failing\n--- stderr\n" + stderr);
                }
            }
            if (block.output() != null) {
                String want = normalise(String.join("\n", block.output()));
                String got = normalise(stdout);
                if (!want.equals(got)) {
                    p.add(block.where() + ": the Output block differs from what the commands printed\n--- the docs (normalised)\n"
                            + want + "\n--- printed (normalised)\n" + got + "\n--- printed\n" + stdout
                            + "--- stderr\n" + stderr);
                }
            }
            Matcher log = LIBVIRT_LOG.matcher(stderr);
            if (log.find()) {
                p.add(block.where() + ": libvirt's log on stderr, which the docs keep quiet: " + log.group());
            }
            for (String q : block.stderrQuotes()) {
                if (!stderr.contains(q)) {
                    p.add(block.where() + ": the docs quote `" + q + "`, which it did not print on stderr\n--- stderr\n"
                            + stderr);
                }
            }
            return p;
        }
    }

    /**
     * Runs every block in one bash, in order, from the repository root, and splits what it printed
     * per block. An ERR trap reports each failing command with its line.
     */
    static List<Ran> run(List<Block> blocks, Path work) throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder();
        script.append("trap 'printf \"" + MARK + "-failed %s %s\\n\" \"$LINENO\" \"$?\" >&2' ERR\n");
        int scriptLine = 2;
        List<Integer> firstLines = new ArrayList<>();
        for (int b = 0; b < blocks.size(); b++) {
            firstLines.add(scriptLine);
            for (String l : blocks.get(b).commands()) {
                script.append(l).append('\n');
                scriptLine++;
            }
            script.append("printf '" + MARK + " %d\\n' " + b + "; printf '" + MARK + " %d\\n' " + b + " >&2\n");
            scriptLine++;
        }
        Path sh = work.resolve("walk.sh");
        Path out = work.resolve("stdout");
        Path err = work.resolve("stderr");
        Files.writeString(sh, script);
        Process p = new ProcessBuilder("bash", "--noprofile", "--norc", sh.toString()).directory(ROOT.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(8, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("the walk did not end in 8 minutes\n--- stdout\n" + Files.readString(out)
                    + "--- stderr\n" + Files.readString(err));
        }
        List<String> outs = split(Files.readString(out), blocks.size());
        List<String> errs = split(Files.readString(err), blocks.size());
        if (outs == null || errs == null) {
            throw new AssertionError("the walk ended early (exit " + p.exitValue() + ")\n--- stdout\n"
                    + Files.readString(out) + "--- stderr\n" + Files.readString(err));
        }
        List<Ran> ran = new ArrayList<>();
        Pattern failed = Pattern.compile("(?m)^" + MARK + "-failed (\\d+) (\\d+)\\n");
        for (int b = 0; b < blocks.size(); b++) {
            List<int[]> failures = new ArrayList<>();
            Matcher m = failed.matcher(errs.get(b));
            while (m.find()) {
                int line = Integer.parseInt(m.group(1)) - firstLines.get(b);
                failures.add(new int[] {Math.max(0, Math.min(line, blocks.get(b).commands().size() - 1)),
                        Integer.parseInt(m.group(2))});
            }
            ran.add(new Ran(blocks.get(b), outs.get(b), m.replaceAll(""), failures));
        }
        return ran;
    }

    /** What a stream printed per block, split at the walk's marks; null if a mark is missing. */
    private static List<String> split(String printed, int count) {
        List<String> parts = new ArrayList<>();
        int from = 0;
        for (int b = 0; b < count; b++) {
            String mark = MARK + " " + b + "\n";
            int at = printed.indexOf(mark, from);
            if (at < 0) {
                return null;
            }
            parts.add(printed.substring(from, at));
            from = at + mark.length();
        }
        return parts;
    }

    /**
     * What differs from run to run, replaced by a name for it, so that the docs' output of one run
     * compares with another's; trailing spaces and trailing empty lines are dropped.
     */
    static String normalise(String text) {
        String[][] variable = {
            // backup times (ISO, with or without fraction), virsh's times
            {"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z", "<time>"},
            {"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}", "<time>"},
            {"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"},
            // a backup set's id, in `list` and in checkpoint names
            {"(backup set |virtchain\\.)[0-9a-f]{8}\\b", "$1<set>"},
            {"(\"crc32c\": )\"[0-9a-f]{8}\"", "$1<checksum>"},
            // where the lab guest wrote its random block
            {"(VC-WROTE vd[a-z]) \\d+", "$1 <offset>"},
            // how much a backup wrote, how long it took, how much disk a file takes
            {"\\d+(\\.\\d+)? (B|KiB|MiB|GiB) written", "<size> written"},
            {"written \\d+(\\.\\d+)? (B|KiB|MiB|GiB)", "written <size>"},
            {"(\"bytes-written\": )\\d+", "$1<size>"},
            {"(disk size: )\\d+(\\.\\d+)? (B|KiB|MiB|GiB)", "$1<size>"},
            {"(, | after )\\d+(\\.\\d+)? s$", "$1<duration> s"},
            {"(\"seconds\": )\\d+(\\.\\d+)?", "$1<duration>"},
        };
        List<String> lines = new ArrayList<>();
        for (String l : text.split("\n", -1)) {
            for (String[] v : variable) {
                l = Pattern.compile(v[0]).matcher(l).replaceAll(v[1]);
            }
            lines.add(l.stripTrailing());
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return String.join("\n", lines);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Runs the walk outside Maven (from integration-tests), printing what disagrees. */
    public static void main(String[] args) throws Exception {
        new DocsWalkIT().theDocsWorkAsWritten();
        System.out.println("the docs walk: all as written");
    }
}
