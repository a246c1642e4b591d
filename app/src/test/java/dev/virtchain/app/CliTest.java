package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI's contract with its users: help with examples, exit codes, one-line errors. Runs
 * in-process here and again against the packaged jar in {@link CliJarIT}.
 */
class CliTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    private static CliDriver.Result run(String... args) {
        return CLI.run(args);
    }

    @Test
    void helpListsTheImgCommandsWithExamples() throws Exception {
        CliDriver.Result r = run("img", "--help");
        assertEquals(0, r.exitCode());
        for (String word : new String[] {"info", "map", "create", "flatten", "Examples:"}) {
            assertTrue(r.stdout().contains(word), "img --help mentions " + word + ":\n" + r.stdout());
        }
    }

    @Test
    void everyImgCommandHasHelpWithExamples() throws Exception {
        for (String cmd : new String[] {"info", "map", "check", "compare", "create", "flatten", "convert", "rebase", "commit"}) {
            CliDriver.Result r = run("img", cmd, "--help");
            assertEquals(0, r.exitCode(), cmd);
            assertTrue(r.stdout().contains("Examples:"), cmd + " --help has examples:\n" + r.stdout());
        }
    }

    @Test
    void everyTopLevelCommandHasHelpWithExamples() throws Exception {
        for (String cmd : new String[] {"backup", "list", "restore", "verify"}) {
            CliDriver.Result r = run(cmd, "--help");
            assertEquals(0, r.exitCode(), cmd);
            assertTrue(r.stdout().contains("Examples:"), cmd + " --help has examples:\n" + r.stdout());
        }
    }

    @Test
    void theSharedOptionsReadAlikeAndShowTheirDefaultsInEveryCommand() throws Exception {
        for (String cmd : new String[] {"backup", "restore", "verify", "boot"}) {
            String help = run(cmd, "--help").stdout();
            assertTrue(help.contains("-c, --connect=URI") && help.contains("libvirt URI (default: qemu:///system)."),
                    cmd + " --help:\n" + help);
        }
        for (String cmd : new String[] {"backup", "list", "verify", "boot"}) {
            String help = run(cmd, "--help").stdout();
            assertTrue(help.contains("--json") && help.contains("Print the result as JSON on stdout."),
                    cmd + " --help:\n" + help);
        }
        for (String cmd : new String[] {"restore", "boot"}) {
            String help = run(cmd, "--help").stdout();
            assertTrue(help.contains("--at=POINT") && help.contains("(default: latest)."), cmd + " --help:\n" + help);
        }
        String verify = run("verify", "--help").stdout();
        assertTrue(verify.contains("--at=POINT") && verify.contains("(default: every backup)."), verify);
        for (String cmd : new String[] {"list", "restore", "verify", "boot"}) {
            String help = run(cmd, "--help").stdout();
            assertTrue(help.contains("DIR") && help.contains("The backup directory."), cmd + " --help:\n" + help);
        }
    }

    @Test
    void versionPrintsTheReleaseTheCommitAndTheLibvirtAndQemuItFinds() throws Exception {
        CliDriver.Result r = run("--version");
        assertEquals(0, r.exitCode(), r::toString);
        List<String> lines = r.stdout().lines().toList();
        assertEquals(4, lines.size(), r.stdout());
        String commit = commandOutput(List.of("git", "rev-parse", "--short=12", "HEAD"));
        String built = commit == null ? "unknown" : commit + "(-dirty)?";
        assertTrue(lines.get(0).matches("virtchain \\d+\\.\\d+\\.\\d+\\S* \\(commit " + built + "\\)"), lines.get(0));
        // virsh and qemu are the oracle: the test machine has both (scripts/test installs them).
        assertEquals("libvirt: " + commandOutput(List.of("virsh", "--version")), lines.get(1));
        String qemu = commandOutput(List.of("qemu-system-x86_64", "--version")).lines().findFirst().orElseThrow();
        assertEquals("qemu: " + qemu.replace("QEMU emulator version ", ""), lines.get(2));
        assertTrue(lines.get(3).startsWith("java: " + Runtime.version().feature()), lines.get(3));
    }

    /** A command's first line of output, or null when it fails (git outside a checkout). */
    private static String commandOutput(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return p.waitFor() == 0 ? out : null;
    }

    @Test
    void theModelOfOneNamedCommandIsTheWholeModelsCommand() {
        CommandLine whole = new CommandLine(new VirtchainCommand());
        for (Map.Entry<String, CommandLine> sub : whole.getSubcommands().entrySet()) {
            Object only = VirtchainCommand.named(sub.getKey());
            assertEquals(sub.getValue().getCommandSpec().userObject().getClass(), only == null ? null : only.getClass(),
                    sub.getKey());
            CommandLine alone = new CommandLine(new TopCommand()).addSubcommand(only).getSubcommands().get(sub.getKey());
            assertEquals(sub.getValue().getUsageMessage(), alone.getUsageMessage(), sub.getKey());
            assertTrue(alone.getCommandSpec().findOption("--debug") != null, sub.getKey() + " inherits --debug");
        }
        assertEquals(null, VirtchainCommand.named("bakup"));
    }

    @Test
    void helpOfEveryCommandFitsTheWidthAndNoExampleIsWrapped() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new VirtchainCommand()), new ArrayList<>(), commands);
        assertTrue(commands.size() > 15, commands::toString);
        for (List<String> path : commands) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            CliDriver.Result r = run(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r::toString);
            List<String> lines = r.stdout().lines().toList();
            for (String line : lines) {
                assertTrue(line.length() <= Main.HELP_WIDTH, path + " --help: a line of " + line.length()
                        + " columns, more than " + Main.HELP_WIDTH + ":\n" + line);
            }
            CommandLine sub = new CommandLine(new VirtchainCommand());
            for (String name : path) {
                sub = sub.getSubcommands().get(name);
            }
            for (String example : sub.getCommandSpec().usageMessage().footer()) {
                if (example.startsWith("  virtchain ")) {
                    assertTrue(lines.contains(example.stripTrailing()), path + " --help wraps its example\n" + example
                            + "\n" + r.stdout());
                }
            }
        }
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        into.add(path);
        for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
            if (sub.getKey().equals(sub.getValue().getCommandName())) { // aliases once
                List<String> p = new ArrayList<>(path);
                p.add(sub.getKey());
                collect(sub.getValue(), p, into);
            }
        }
    }

    @Test
    void anUnknownCommandIsAUsageErrorNamingTheClosestOneEvenWithHelp() throws Exception {
        for (String[] args : new String[][] {{"bakup", "-d", "vm"}, {"bakup", "--help"}, {"--debug", "bakup"}}) {
            CliDriver.Result r = run(args);
            assertEquals(2, r.exitCode(), r::toString);
            assertEquals("", r.stdout(), "no help for an unknown command");
            assertEquals("virtchain: unknown command 'bakup'; did you mean 'backup'? The commands of virtchain: backup, "
                    + "list, restore, boot, verify, prune, status, config, push, pull, img.\nTry 'virtchain --help' for more information.",
                    r.stderr().strip(), r::toString);
        }
        CliDriver.Result img = run("img", "infoo", "--help");
        assertEquals(2, img.exitCode(), img::toString);
        assertTrue(img.stderr().startsWith("virtchain: unknown command 'infoo'; did you mean 'info'?"), img::toString);
        assertTrue(img.stderr().contains("Try 'virtchain img --help'"), img::toString);
        CliDriver.Result far = run("frobnicate");
        assertEquals(2, far.exitCode(), far::toString);
        assertTrue(far.stderr().startsWith("virtchain: unknown command 'frobnicate'. The commands of virtchain:"),
                far::toString);
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithAHint() throws Exception {
        CliDriver.Result r = run("img", "info", "--no-such-option", "x");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("Unknown option: '--no-such-option'"), r.stderr());
        assertTrue(r.stderr().contains("virtchain img info --help"), r.stderr());
    }

    @Test
    void aChecksumThatCannotBeComputedIsAUsageErrorBeforeAnythingRuns() throws Exception {
        Path out = dir.resolve("backups");
        CliDriver.Result r = run("backup", "-d", "vm", "-o", out.toString(), "--checksum", "md5");
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("--checksum md5: expected crc32c, sha256, sha512"), r.stderr());
        assertTrue(!java.nio.file.Files.exists(out), "nothing was created: " + out);
    }

    @Test
    void aHookTimeoutBelowOneSecondIsAUsageErrorBeforeAnythingRuns() throws Exception {
        Path out = dir.resolve("backups");
        for (String t : new String[] {"0", "-5"}) {
            CliDriver.Result r = run("backup", "-d", "vm", "-o", out.toString(), "--hook-timeout", t,
                    "--pre-hook", "true");
            assertEquals(2, r.exitCode(), r.stderr());
            assertTrue(r.stderr().startsWith("virtchain: --hook-timeout " + t
                    + ": expected a number of seconds, 1 or more\n"), r.stderr());
            assertTrue(!java.nio.file.Files.exists(out), "nothing was created: " + out);
        }
    }

    @Test
    void aMissingImageIsOneLineNamingTheFile() throws Exception {
        String missing = dir.resolve("nope.qcow2").toString();
        CliDriver.Result r = run("img", "info", missing);
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + missing + ": no such file\n", r.stderr());
    }

    @Test
    void aMissingBackingFileNamesTheOverlayAndTheLink() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "1M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        java.nio.file.Files.delete(dir.resolve("base.qcow2"));
        String top = dir.resolve("top.qcow2").toString();
        CliDriver.Result r = run("img", "map", top);
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + top + ": backing file 'base.qcow2' (" + dir.resolve("base.qcow2")
                + ") does not exist\n", r.stderr());
        // info does not open the backing file, as qemu-img info does not.
        assertEquals(0, run("img", "info", top).exitCode());
    }

    @Test
    void debugPrintsTheStackTrace() throws Exception {
        CliDriver.Result r = run("--debug", "img", "info", dir.resolve("nope").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("\tat "), r.stderr());
    }
}
