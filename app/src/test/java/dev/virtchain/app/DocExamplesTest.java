package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.NightlySetFixture;
import dev.virtchain.chain.Checksum;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prune and list output that README.md and docs/guide.md quote is what virtchain prints: each
 * quoted block ({@code $ virtchain ...} and the indented lines after it) is run on the fixture set
 * it was made from, in {@code /backup/web01} as the documents say, the temporary directory's path
 * and the set id being the only differences allowed.
 */
class DocExamplesTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    private static final Path README = Path.of("..", "README.md");
    private static final Path GUIDE = Path.of("..", "docs", "guide.md");
    private static final String DIR = "/backup/web01";

    @TempDir
    Path root;

    /** The output lines quoted under {@code $ COMMAND} in {@code doc}, up to the next blank, unindented or command line. */
    static String quoted(Path doc, String command) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        int at = lines.indexOf("    $ " + command);
        if (at < 0) {
            throw new AssertionError(doc + " quotes no '$ " + command + "'");
        }
        List<String> out = new ArrayList<>();
        for (int i = at + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.startsWith("    ") || l.isBlank() || l.startsWith("    $ ")) {
                break;
            }
            out.add(l.substring(4) + "\n");
        }
        assertFalse(out.isEmpty(), doc + " quotes no output under '$ " + command + "'");
        return String.join("", out);
    }

    /** {@code out} with {@code dir} written as the documents write it and every set id as {@code SET}. */
    private static String asQuoted(Path dir, String out) {
        return sameSetId(out.replace(dir.toString(), DIR));
    }

    private static String sameSetId(String text) {
        return text.replaceAll("virtchain\\.[0-9a-z]{1,32}\\.(\\d{4})", "virtchain.SET.$1")
                .replaceAll("backup set [0-9a-z]{1,32}\n", "backup set SET\n");
    }

    private Path set() throws IOException {
        return Files.createDirectories(root.resolve("backup").resolve("web01"));
    }

    @Test
    void theReadmesDryRunIsWhatPrunePrints() throws Exception {
        Path dir = set();
        BackupSetFixture.write(dir, Checksum.CRC32C);
        String command = "virtchain prune " + DIR + " --keep-last 2 --dry-run";
        assertEquals(sameSetId(quoted(README, command)),
                asQuoted(dir, CLI.ok("prune", dir.toString(), "--keep-last", "2", "--dry-run").stdout()));
    }

    @Test
    void theGuidesWorkedExampleIsWhatPruneAndListPrint() throws Exception {
        Path dir = set();
        NightlySetFixture.write(dir, 8);
        assertEquals(sameSetId(quoted(GUIDE, "virtchain prune " + DIR + " --keep-last 3 --dry-run")),
                asQuoted(dir, CLI.ok("prune", dir.toString(), "--keep-last", "3", "--dry-run").stdout()));
        CLI.ok("prune", dir.toString(), "--keep-last", "3", "-c", "test:///default");
        NightlySetFixture.assertClean(dir);
        assertEquals(sameSetId(quoted(GUIDE, "virtchain list " + DIR + "   # after the prune")),
                asQuoted(dir, CLI.ok("list", dir.toString()).stdout()));
    }
}
