package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Debian package that {@code mvn package} builds, installed on this machine as an admin would
 * (the test command runs as root and installs dpkg's tools, lintian, man-db and systemd through
 * scripts/ensure-packages; without them this fails, it never skips): lintian finds no error, the
 * installed {@code /usr/bin/virtchain} runs on the class-data-sharing archive postinst made, the
 * man pages render, bash completes commands and options, every unit passes
 * {@code systemd-analyze verify}, and a purge leaves nothing behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebPackageIT {
    private static final Path TARGET = Path.of(System.getProperty("virtchain.jar", "target/virtchain.jar")).getParent();
    private static final List<String> UNITS = List.of("virtchain-backup@.service", "virtchain-backup@.timer",
            "virtchain-backup-all.service", "virtchain-backup-all.timer");
    private static final List<Path> GONE_AFTER_PURGE = List.of(Path.of("/usr/bin/virtchain"),
            Path.of("/usr/share/virtchain"), Path.of("/etc/virtchain"), Path.of("/etc/default/virtchain"),
            Path.of("/var/cache/virtchain"), Path.of("/usr/share/man/man1/virtchain-backup.1.gz"),
            Path.of("/usr/share/bash-completion/completions/virtchain"), Path.of("/usr/share/doc/virtchain"),
            Path.of("/lib/systemd/system/virtchain-backup@.service"));

    private static Path deb;

    @BeforeAll
    static void install() throws Exception {
        deb = newestDeb();
        Result r = run(List.of("dpkg", "-i", deb.toString()));
        assertEquals(0, r.code, "dpkg -i " + deb + ":\n" + r);
    }

    @AfterAll
    static void purgeIfStillInstalled() throws Exception {
        if (Files.exists(Path.of("/usr/share/virtchain"))) {
            run(List.of("dpkg", "--purge", "virtchain"));
        }
    }

    private static Path newestDeb() throws IOException {
        try (Stream<Path> files = Files.list(TARGET)) {
            return files.filter(f -> f.getFileName().toString().matches("virtchain_.*_all\\.deb"))
                    .max(Comparator.comparing(f -> f.toFile().lastModified()))
                    .orElseThrow(() -> new AssertionError("no virtchain_*_all.deb in " + TARGET + ": mvn package makes it"));
        }
    }

    @Test
    @Order(1)
    void lintianFindsNoError() throws Exception {
        Result r = run(List.of("lintian", "--fail-on", "error", deb.toString()));
        List<String> errors = r.out.lines().filter(l -> l.startsWith("E: ")).toList();
        assertEquals(List.of(), errors, r.toString());
        assertEquals(0, r.code, r.toString());
    }

    @Test
    @Order(2)
    void theInstalledCommandPrintsItsVersionOnTheArchivePostinstMade() throws Exception {
        assertTrue(Files.isRegularFile(Path.of("/var/cache/virtchain/virtchain.jsa")), "postinst made the archive");
        // -Xshare:on: a JVM that cannot map the archive fails instead of running without it.
        Result r = run(List.of("/usr/bin/virtchain", "--version"), Map.of("VIRTCHAIN_JAVA_OPTS", "-Xshare:on"));
        assertEquals(0, r.code, r.toString());
        assertTrue(r.out.matches("(?s)virtchain \\d+\\.\\d+\\.\\d+\\S* \\(commit [0-9a-f]{12}(-dirty)?\\)\n"
                + "libvirt: \\d+\\.\\d+\\.\\d+\nqemu: .+\njava: .+"), r.out);
    }

    @Test
    @Order(2)
    void versionSaysNotFoundForAMissingLibvirtOrQemuAndStillSucceeds() throws Exception {
        // JNA looks for libvirt.so.0 in jna.platform.library.path only (there is no libvirt.so
        // without libvirt-dev); no qemu-system-* on an empty PATH.
        Result r = run(List.of("/usr/bin/virtchain", "--version"), Map.of("PATH", "/nonexistent",
                "JAVA_HOME", System.getProperty("java.home"), "VIRTCHAIN_JAVA_OPTS", "-Djna.platform.library.path=/nonexistent"));
        assertEquals(0, r.code, r.toString());
        List<String> lines = r.out.lines().toList();
        assertEquals(List.of("libvirt: not found", "qemu: not found"), lines.subList(1, 3), r.out);
    }

    @Test
    @Order(3)
    void everyCommandHasAManPageThatRenders() throws Exception {
        for (String page : List.of("virtchain", "virtchain-backup", "virtchain-prune", "virtchain-img-flatten")) {
            Result where = run(List.of("man", "-w", page));
            assertEquals("/usr/share/man/man1/" + page + ".1.gz", where.out.strip(), where.toString());
        }
        Result r = run(List.of("man", "-P", "cat", "virtchain-backup"), Map.of("MANWIDTH", "100"));
        assertEquals(0, r.code, r.toString());
        assertEquals("", r.err, "man warns:\n" + r.err);
        for (String text : List.of("VIRTCHAIN-BACKUP(1)", "NAME", "virtchain-backup - ", "SYNOPSIS", "--domain=DOMAIN",
                "--start-paused", "EXAMPLES", "virtchain backup -d web01 -o /backup/web01")) {
            assertTrue(r.out.contains(text), "man virtchain-backup shows " + text + ":\n" + r.out);
        }
    }

    @Test
    @Order(4)
    void bashCompletesCommandsAndOptions() throws Exception {
        assertEquals("backup boot", String.join(" ", complete("virtchain", "b")));
        assertEquals(List.of("flatten"), complete("virtchain", "img", "fl"));
        assertTrue(complete("virtchain", "prune", "--keep-").containsAll(
                List.of("--keep-daily", "--keep-weekly", "--keep-monthly", "--keep-last")), "prune --keep-");
        assertEquals(List.of("--dry-run"), complete("virtchain", "prune", "--dry"));
        assertEquals(List.of("--start-paused"), complete("virtchain", "backup", "--start"));
        assertEquals(List.of("--parallel"), complete("virtchain", "backup", "--all", "--par"));
        assertEquals(List.of("check"), complete("virtchain", "config", "ch"));
        assertEquals(List.of("--keep-daily"), complete("virtchain", "backup", "-d", "web01", "--keep-d"));
    }

    /** What bash offers for the last word: the completion script sourced, its function called. */
    private static List<String> complete(String... words) throws Exception {
        StringBuilder array = new StringBuilder();
        for (String w : words) {
            array.append(" '").append(w).append('\'');
        }
        String script = "source /usr/share/bash-completion/completions/virtchain\n"
                + "COMP_WORDS=(" + array + ")\n"
                + "COMP_CWORD=" + (words.length - 1) + "\n"
                + "COMP_LINE=\"${COMP_WORDS[*]}\"\nCOMP_POINT=${#COMP_LINE}\n"
                + "_complete_virtchain\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Result r = run(List.of("bash", "-c", script));
        assertEquals(0, r.code, r.toString());
        return r.out.lines().filter(l -> !l.isBlank()).map(String::strip).sorted().toList();
    }

    @Test
    @Order(5)
    void everyUnitPassesSystemdAnalyzeVerify() throws Exception {
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String unit : UNITS) {
            Path file = Path.of("/lib/systemd/system", unit);
            assertTrue(Files.isRegularFile(file), file.toString());
            command.add(file.toString());
        }
        Result r = run(command);
        assertEquals(0, r.code, r.toString());
        assertEquals("", r.err.lines().filter(l -> l.contains("virtchain")).reduce("", (a, b) -> a + b + "\n"), r.toString());
    }

    @Test
    @Order(6)
    void theConfigFilesAreConffiles() throws Exception {
        Result r = run(List.of("dpkg-query", "-W", "-f=${Conffiles}", "virtchain"));
        assertTrue(r.out.contains("/etc/virtchain/virtchain.toml") && r.out.contains("/etc/default/virtchain"), r.toString());
    }

    @Test
    @Order(6)
    void theShippedConfigFileIsValidAndBacksUpIntoTheDefaultRoot() throws Exception {
        Result r = run(List.of("/usr/bin/virtchain", "config", "check", "--config", "/etc/virtchain/virtchain.toml",
                "-d", "web01"));
        assertEquals(0, r.code, r.toString());
        assertEquals("/etc/virtchain/virtchain.toml: ok; uri qemu:///system, 1 domain at once\n"
                + "  web01: /var/lib/virtchain/backups/web01, level auto, checksum crc32c, freeze on, disks: all, "
                + "then prune: keep 7 daily, 4 weekly, 12 monthly backups\n", r.out, r.toString());
    }

    @Test
    @Order(7)
    void aJvmPackageChangeRemakesTheArchive() throws Exception {
        Path jsa = Path.of("/var/cache/virtchain/virtchain.jsa");
        Files.delete(jsa);
        // What dpkg does when a package installs or updates files under /usr/lib/jvm.
        assertEquals(0, run(List.of("dpkg-trigger", "--no-await", "/usr/lib/jvm")).code);
        Result r = run(List.of("dpkg", "--triggers-only", "virtchain"));
        assertEquals(0, r.code, r.toString());
        assertTrue(Files.isRegularFile(jsa), "postinst triggered made the archive again:\n" + r);
    }

    @Test
    @Order(99)
    void purgeLeavesNothingBehind() throws Exception {
        Result r = run(List.of("dpkg", "--purge", "virtchain"));
        assertEquals(0, r.code, r.toString());
        List<Path> left = GONE_AFTER_PURGE.stream().filter(Files::exists).toList();
        assertEquals(List.of(), left, "left behind by dpkg --purge");
        Result status = run(List.of("dpkg-query", "-W", "-f=${db:Status-Status}", "virtchain"));
        assertFalse(status.out.contains("installed") && !status.out.contains("not-installed"), status.toString());
    }

    private record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Result run(List<String> command) throws Exception {
        return run(command, Map.of());
    }

    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Path err = Files.createTempFile("debit", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not end in 120 s");
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
