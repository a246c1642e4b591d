package dev.virtchain.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.chain.RequestedLevel;
import dev.virtchain.chain.prune.RetentionPolicy;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The config file: what it sets, the order its layers apply in, and the one line each mistake gets. */
class ConfigFileTest {
    @TempDir
    Path tmp;

    private Path write(String toml) throws IOException {
        Path f = tmp.resolve("virtchain.toml");
        Files.writeString(f, toml);
        return f;
    }

    private HostConfig read(String toml) throws IOException {
        return ConfigFile.read(write(toml));
    }

    /** The one line a bad file gets, with the temporary directory's path cut off. */
    private String error(String toml) throws IOException {
        Path f = write(toml);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(f));
        assertEquals(ErrorKind.CORRUPT, e.kind());
        assertTrue(e.getMessage().startsWith(f + " "), e.getMessage());
        return e.getMessage().substring(f.toString().length() + 1);
    }

    private static final String HOST = """
            # a host's file
            [defaults]
            uri = "qemu:///system"
            root = "/backup"
            level = "auto"
            parallel = 2
            checksum = "sha256"
            pre_hook = "sync"

            [defaults.keep]
            daily = 7
            weekly = 4

            [domain."web*"]
            exclude = ["vdb"]
            keep = { daily = 14, within = "2d" }

            [domain."*"]
            freeze = false
            level = "inc"

            [domain."web01"]
            root = "/srv/web"
            level = "diff"

            [domain."test-*"]
            skip = true

            [domain."scratch"]
            keep = {}
            """;

    @Test
    void theDefaultsApplyToEveryDomain() throws IOException {
        HostConfig c = read(HOST);
        assertEquals("qemu:///system", c.uri());
        assertEquals(2, c.parallel());
        DomainSettings db = c.resolve("db01", Settings.NONE);
        assertEquals(Path.of("/backup/db01"), db.dir());
        assertEquals("sha256", db.settings().checksum());
        assertEquals("sync", db.settings().preHook());
        assertEquals(new RetentionPolicy(0, 0, 7, 4, 0, 0, null), db.keepOrNull());
        assertEquals(List.of(), db.settings().include());
        assertEquals(300L, db.settings().hookTimeout(), "built in");
        assertEquals(List.of("*"), db.sections());
        assertEquals(RequestedLevel.INC, db.settings().level(), "[domain.\"*\"] over [defaults]");
        assertEquals(false, db.settings().freeze());
        assertEquals(false, db.skip());
    }

    @Test
    void globSectionsApplyInTheFilesOrderThenTheDomainsOwnSection() throws IOException {
        DomainSettings web01 = read(HOST).resolve("web01", Settings.NONE);
        assertEquals(List.of("web*", "*", "web01"), web01.sections());
        assertEquals(Path.of("/srv/web/web01"), web01.dir(), "its own root");
        assertEquals(RequestedLevel.DIFF, web01.settings().level(), "its own section last, over both globs");
        assertEquals(List.of("vdb"), web01.settings().exclude(), "from web*");
        DomainSettings web02 = read(HOST).resolve("web02", Settings.NONE);
        assertEquals(RequestedLevel.INC, web02.settings().level(), "\"*\" comes after \"web*\" in the file");
        assertEquals(Path.of("/backup/web02"), web02.dir());
    }

    @Test
    void aSectionsKeepTableReplacesTheRulesBelowAndAnEmptyOneMeansNoPrune() throws IOException {
        HostConfig c = read(HOST);
        assertEquals(new RetentionPolicy(0, 0, 14, 0, 0, 0, Duration.ofDays(2)), c.resolve("web02", Settings.NONE)
                .keepOrNull(), "weekly = 4 of [defaults.keep] is not merged in");
        assertNull(c.resolve("scratch", Settings.NONE).keepOrNull());
        assertTrue(c.resolve("scratch", Settings.NONE).describe().endsWith(", no prune"));
    }

    @Test
    void skipLeavesADomainOut() throws IOException {
        DomainSettings t = read(HOST).resolve("test-7", Settings.NONE);
        assertTrue(t.skip());
        assertEquals("test-7: skipped (skip = true)", t.describe());
    }

    @Test
    void theCommandLineOverridesTheFile() throws IOException {
        Settings cli = new Settings(Path.of("/mnt/usb"), RequestedLevel.FULL, null, true, null, null, null, null,
                null, null, List.of("vda"), null, new RetentionPolicy(3, 0, 0, 0, 0, 0, null), null);
        DomainSettings web01 = read(HOST).resolve("web01", cli);
        assertEquals(Path.of("/mnt/usb/web01"), web01.dir(), "-o over the section's root");
        assertEquals(RequestedLevel.FULL, web01.settings().level());
        assertEquals(true, web01.settings().freeze());
        assertEquals(List.of("vda"), web01.settings().include());
        assertEquals(List.of("vdb"), web01.settings().exclude(), "not given: the file's");
        assertEquals("sha256", web01.settings().checksum(), "not given: the file's");
        assertEquals(new RetentionPolicy(3, 0, 0, 0, 0, 0, null), web01.keepOrNull());
    }

    @Test
    void noFileMeansTheBuiltInDefaults() {
        DomainSettings d = HostConfig.EMPTY.resolve("vm", Settings.NONE);
        assertNull(d.dir(), "no root anywhere");
        assertEquals(Settings.BUILT_IN, d.settings());
        assertEquals("vm: no backup root set, level auto, checksum crc32c, freeze on, disks: all, no prune",
                d.describe());
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = tmp.resolve("nope.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(f));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertEquals(f + ": no such config file", e.getMessage());
    }

    @Test
    void thePackagedExampleIsAValidFile() throws IOException {
        Path example = Path.of("src/deb/etc/virtchain/virtchain.toml");
        HostConfig c = ConfigFile.read(example);
        DomainSettings d = c.resolve("web01", Settings.NONE);
        assertEquals(Path.of("/var/lib/virtchain/backups/web01"), d.dir());
        assertEquals(new RetentionPolicy(0, 0, 7, 4, 12, 0, null), d.keepOrNull());
    }

    /** The indented block of {@code doc} that starts with {@code first}, unindented. */
    private static String block(Path doc, String first) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        int i = lines.indexOf("    " + first);
        assertTrue(i >= 0, first + " in " + doc);
        StringBuilder b = new StringBuilder();
        for (; i < lines.size() && (lines.get(i).startsWith("    ") || lines.get(i).isEmpty()); i++) {
            b.append(lines.get(i).isEmpty() ? "" : lines.get(i).substring(4)).append('\n');
        }
        return b.toString();
    }

    @Test
    void theGuidesExampleGivesTheSettingsTheGuideShows() throws IOException {
        Path guide = Path.of("../docs/guide.md");
        HostConfig c = read(block(guide, "[defaults]"));
        List<String> shown = block(guide, "/etc/virtchain/virtchain.toml: ok; uri qemu:///system, 2 domains at once")
                .strip().lines().skip(1).map(String::strip).toList();
        assertEquals(shown, List.of("db01", "test-1", "web01").stream()
                .map(d -> c.resolve(d, Settings.NONE).describe()).toList());
        assertTrue(error(block(guide, "[defaults]").replace("level = ", "levle = ")).startsWith(
                "line 4: defaults.levle: unknown key in [defaults]; known keys:"));
    }

    @Test
    void theReadmesExampleIsAValidFile() throws IOException {
        HostConfig c = read(block(Path.of("../README.md"), "[defaults]"));
        assertEquals(2, c.parallel());
        assertEquals(List.of("vdb"), c.resolve("db01", Settings.NONE).settings().exclude());
        assertTrue(c.resolve("test-9", Settings.NONE).skip());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not TOML                      | [defaults]\\nroot = /backup\\n          | line 2: not valid TOML:
            an unknown table              | [defaults]\\nroot = "/b"\\n[domians]\\n | line 3: domians: unknown key; known keys: defaults, domain
            an unknown key in [defaults]  | [defaults]\\n\\nlevle = "full"\\n      | line 3: defaults.levle: unknown key in [defaults]; known keys: uri, parallel, root,
            an unknown key in a section   | [domain."web*"]\\nincldue = ["vda"]\\n | line 2: domain."web*".incldue: unknown key in [domain."web*"]; known keys: root, level,
            uri in a section              | [domain.web01]\\nuri = "qemu:///system"\\n | line 2: domain.web01.uri: unknown key in [domain.web01]
            an unknown keep rule          | [defaults.keep]\\ndayly = 7\\n         | line 2: defaults.keep.dayly: unknown key in [defaults.keep]; known keys: last, hourly, daily, weekly, monthly, yearly, within
            an unknown inline keep rule   | [domain.a]\\nkeep = { dayly = 7 }\\n   | line 2: domain.a.keep.dayly: unknown key in [domain.a.keep]
            a bad level                   | [defaults]\\nlevel = "weekly"\\n       | line 2: defaults.level: 'weekly': expected full, inc, diff, copy or auto
            a bad checksum                | [defaults]\\nchecksum = "md5"\\n       | line 2: defaults.checksum: 'md5': expected crc32c, sha256, sha512
            a relative root               | [domain.a]\\nroot = "backup"\\n        | line 2: domain.a.root: 'backup' is not an absolute path
            a string for a flag           | [defaults]\\nfreeze = "yes"\\n         | line 2: defaults.freeze: expected true or false, found the string "yes"
            a hook timeout of 0           | [defaults]\\nhook_timeout = 0\\n       | line 2: defaults.hook_timeout: expected a whole number 1 or more, found 0
            too many at once              | [defaults]\\nparallel = 65\\n          | line 2: defaults.parallel: expected a whole number from 1 to 64, found 65
            a string for a number         | [defaults]\\nparallel = "2"\\n         | line 2: defaults.parallel: expected a whole number from 1 to 64, found the string "2"
            a fraction for a number       | [defaults.keep]\\ndaily = 1.5\\n       | line 2: defaults.keep.daily: expected a whole number 0 or more, found 1.5
            a negative keep count         | [defaults.keep]\\nweekly = -1\\n       | line 2: defaults.keep.weekly: expected a whole number 0 or more, found -1
            a bad keep duration           | [defaults.keep]\\nwithin = "2 days"\\n | line 2: defaults.keep.within: 2 days: not a duration (e.g. 26h, 1d12h, 90m, PT26H)
            disks as a string             | [domain.a]\\ninclude = "vda"\\n        | line 2: domain.a.include: expected a list of names such as ["vda", "vdb"], found the string "vda"
            a number among disks          | [domain.a]\\nexclude = ["vda", 2]\\n   | line 2: domain.a.exclude: expected a list of names, found 2 in it
            a relative mountpoint         | [defaults]\\nfreeze_mountpoints = ["var"]\\n | line 2: defaults.freeze_mountpoints: 'var': expected absolute guest mountpoints
            a value for the domain table  | domain = 3\\n                          | line 1: domain: expected a table, found 3
            a value for a section         | [domain]\\nweb01 = true\\n             | line 2: domain.web01: expected a table, found true
            a bad glob                    | [domain."web[0-"]\\nskip = true\\n     | line 1: domain."web[0-": 'web[0-' is not a glob of domain names:
            an empty section name         | [domain.""]\\nskip = true\\n           | line 1: domain."": expected a domain name or a glob of names, found an empty one
            a value over lines            | [defaults]\\nroot = "/b"\\nexclude = [\\n  "vdb",\\n  4,\\n]\\n | line 6: defaults.exclude: expected a list of names, found 4 in it
            """)
    void everyMistakeIsOneLineNamingTheFileTheLineAndTheKey(String what, String toml, String expected)
            throws IOException {
        String message = error(toml.replace("\\n", "\n"));
        assertTrue(message.startsWith(expected.strip()), what + ": " + message);
        assertEquals(1, message.lines().count(), message);
    }
}
