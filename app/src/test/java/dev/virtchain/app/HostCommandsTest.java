package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.app.testing.CliDriver.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup} over several domains and {@code config check} through the CLI, where no backup job
 * runs: usage errors, config errors, libvirt's test driver (whose one domain, "test", runs but cannot
 * start a backup job, so its backup fails). The backups themselves: BackupAllIT on real libvirt.
 */
class HostCommandsTest {
    private static final CliDriver CLI = CliDriver.forThisRun();
    private static final String TEST_URI = "test:///default";

    @TempDir
    Path tmp;

    private Path config(String toml) throws IOException {
        return Files.writeString(tmp.resolve("virtchain.toml"), toml);
    }

    private static void usage(Result r, String line) {
        assertEquals(2, r.exitCode(), r.toString());
        assertEquals("virtchain: " + line, r.stderr().lines().findFirst().orElse(""), r.toString());
        assertEquals("", r.stdout(), r.toString());
    }

    @Test
    void severalDomainsNeedAllOrDomainsAndNotBoth() {
        usage(CLI.run("backup", "-o", tmp.toString()), "give -d DOMAIN (repeatable, or a glob) or --all");
        usage(CLI.run("backup", "--all", "-d", "vm", "-o", tmp.toString()), "--all and -d exclude each other");
        usage(CLI.run("backup", "-d", "vm"), "-o DIR is missing: where to back up vm (or give --config, whose root says it)");
        usage(CLI.run("backup", "--all", "--parallel", "0", "-o", tmp.toString()),
                "--parallel 0: expected a number of domains from 1 to 64");
        usage(CLI.run("backup", "--all", "-l", "weekly", "-o", tmp.toString()),
                "-l weekly: expected full, inc, diff, copy or auto");
        usage(CLI.run("backup", "--all", "--exclude-domain", "web[", "-o", tmp.toString()),
                "--exclude-domain web[: not a glob of domain names (Missing '] at character 4)");
    }

    @Test
    void aBadConfigFileIsOneLineAndNothingRuns() throws IOException {
        Path f = config("[defaults]\nroot = \"/b\"\nlevle = \"full\"\n");
        Result r = CLI.run("backup", "--all", "-c", TEST_URI, "--config", f.toString());
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals(List.of("virtchain: " + f + " line 3: defaults.levle: unknown key in [defaults]; known keys: uri, "
                + "parallel, root, level, checksum, freeze, freeze_mountpoints, start_paused, pre_hook, post_hook, "
                + "hook_timeout, auto_full, include, exclude, keep, skip"), r.stderr().lines().toList());
        Result missing = CLI.run("backup", "--all", "--config", tmp.resolve("none.toml").toString());
        assertEquals(1, missing.exitCode());
        assertEquals("virtchain: " + tmp.resolve("none.toml") + ": no such config file\n", missing.stderr());
        Result check = CLI.run("config", "check", "--config", f.toString());
        assertEquals(1, check.exitCode(), check.toString());
        assertEquals(r.stderr(), check.stderr());
    }

    @Test
    void aDomainWithoutARootIsAUsageError() throws IOException {
        Path f = config("[defaults]\nlevel = \"full\"\n");
        usage(CLI.run("backup", "--all", "-c", TEST_URI, "--config", f.toString()),
                "no backup root for test: give -o ROOT, or set root in [defaults] of " + f);
    }

    @Test
    void aFailingDomainIsARowAndOneLineAndExitsOne() throws IOException {
        Path root = tmp.resolve("backups");
        Result r = CLI.run("backup", "--all", "-c", TEST_URI, "-o", root.toString(), "--config",
                config("[defaults]\nlevel = \"full\"\n").toString());
        assertEquals(1, r.exitCode(), r.toString());
        List<String> table = r.stdout().lines().toList();
        assertEquals(2, table.size(), r.toString());
        assertTrue(table.get(0).matches("DOMAIN +LEVEL +SEQ +WRITTEN +SECONDS +RESULT"), r.toString());
        assertTrue(table.get(1).matches("test +- +- +- +[0-9.]+ +failed"), r.toString());
        List<String> failures = r.stderr().lines().filter(l -> l.startsWith("virtchain: test: ")
                && !l.startsWith("virtchain: test: warning")).toList();
        assertEquals(1, failures.size(), r.toString());
        assertTrue(Files.isDirectory(root.resolve("test")), "ROOT/<domain>");

        Result json = CLI.run("backup", "--all", "-c", TEST_URI, "-o", root.toString(), "--json", "-l", "full");
        assertEquals(1, json.exitCode(), json.toString());
        JsonNode a = json.json();
        assertEquals(1, a.size(), a.toString());
        assertEquals("test", a.get(0).get("domain").asText());
        assertEquals(root.resolve("test").toAbsolutePath().toString(), a.get(0).get("dir").asText());
        assertEquals("failed", a.get(0).get("result").asText());
        assertEquals("virtchain: test: " + a.get(0).get("message").asText(), failures.get(0));
        assertTrue(a.get(0).get("level").isNull() && a.get(0).get("backup").isNull(), a.toString());
    }

    @Test
    void excludedAndUnmatchedDomains() {
        Path root = tmp.resolve("backups");
        Result none = CLI.run("backup", "--all", "-c", TEST_URI, "-o", root.toString(), "--exclude-domain", "te*",
                "--json");
        assertEquals(0, none.exitCode(), none.toString());
        assertEquals(0, none.json().size(), none.toString());
        Result unmatched = CLI.run("backup", "-d", "web*", "-c", TEST_URI, "-o", root.toString());
        assertEquals(1, unmatched.exitCode(), unmatched.toString());
        assertEquals("virtchain: web*: no domain on test:///default matches 'web*'\n", unmatched.stderr());
        assertTrue(unmatched.stdout().lines().toList().get(1).matches("web\\* +- +- +- +0.0 +failed"),
                unmatched.toString());
    }

    @Test
    void configCheckPrintsEachDomainsSettings() throws IOException {
        Path f = config("""
                [defaults]
                root = "/backup"
                parallel = 2
                [defaults.keep]
                daily = 7
                [domain."web*"]
                exclude = ["vdb"]
                freeze = false
                [domain."test-*"]
                skip = true
                """);
        Result r = CLI.run("config", "check", "--config", f.toString(), "-d", "web01", "-d", "test-1", "-d", "db");
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(f + ": ok; uri qemu:///system, 2 domains at once\n"
                + "  web01: /backup/web01, level auto, checksum crc32c, freeze off, disks: all but vdb, then prune: "
                + "keep 7 daily backups\n"
                + "  test-1: skipped (skip = true)\n"
                + "  db: /backup/db, level auto, checksum crc32c, freeze on, disks: all, then prune: keep 7 daily backups\n",
                r.stdout());
        assertEquals("", r.stderr());

        Result j = CLI.run("config", "check", "--config", f.toString(), "-c", TEST_URI, "--json");
        assertEquals(0, j.exitCode(), j.toString());
        JsonNode m = j.json();
        assertEquals(TEST_URI, m.get("uri").asText());
        assertEquals(2, m.get("parallel").asInt());
        assertEquals(1, m.get("domains").size(), m.toString());
        JsonNode test = m.get("domains").get(0);
        assertEquals("test", test.get("domain").asText());
        assertEquals("/backup/test", test.get("dir").asText());
        assertEquals(7, test.get("keep").get("daily").asInt());
        assertEquals(0, test.get("sections").size(), "no section names 'test'");
        assertEquals(List.of("vdb"), List.of(CLI.run("config", "check", "--config", f.toString(), "-d", "web9", "--json")
                .json().get("domains").get(0).get("exclude").get(0).asText()));
    }
}
