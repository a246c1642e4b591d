package dev.virtchain.app.boot;

import dev.virtchain.app.state.BootState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** boot and verify --boot up to the point where they would need libvirt; the booting itself is RestoreBootIT's. */
class BootCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    @Test
    void bootWantsADirectoryOrStopNotBoth() {
        CliDriver.Result none = CLI.run("boot");
        assertEquals(2, none.exitCode(), none.stderr());
        assertTrue(none.stderr().contains("give a backup directory to boot, or --stop NAME"), none.stderr());
        CliDriver.Result both = CLI.run("boot", dir.toString(), "--stop", "x");
        assertEquals(2, both.exitCode(), both.stderr());
    }

    @Test
    void stoppingABootThatIsNotThereSaysWhereItLooked() {
        CliDriver.Result r = CLI.run("boot", "--stop", "web01-boot-3", "--scratch", dir.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals("virtchain: " + dir.resolve("web01-boot-3") + ": no boot.json there, so no virtchain boot of that"
                + " name (its scratch directory may be elsewhere: --scratch)\n", r.stderr());
    }

    @Test
    void aNameThatIsAPathIsRefused() {
        CliDriver.Result r = CLI.run("boot", "--stop", "../etc", "--scratch", dir.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains("'../etc' is not a domain name virtchain boot could have made"), r.stderr());
    }

    @Test
    void theStateFileReadsBackAsWritten() throws Exception {
        BootState s = new BootState("web01-boot-3", "qemu:///system", "/backup/web01", 3, dir.toString(),
                Map.of("vda", dir.resolve("vda.overlay.qcow2").toString()), true, List.of(dir + "/serial.log"), false);
        s.save();
        assertEquals(s, InstantBoot.find(dir.getParent(), dir.getFileName().toString()));
        assertEquals(List.of(BootState.FILE), Files.list(dir).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void aDamagedStateFileIsOneLineNamingTheFileAndTheFieldNeverAJavaClass() throws Exception {
        Path state = Files.createDirectories(dir.resolve("x")).resolve(BootState.FILE);
        Map<String, String> damage = Map.of(
                "{\"name\": \"x\", \"uri\": \"test:///default\"}", "dir: missing",
                "{\"name\": \"x\", \"seq\": \"three\"}", "seq: not a value of the right type (line 1, column 22)",
                "[1, 2]", "not a boot state (line 1, column 1)",
                "{\"name\": ", "not valid JSON (line 1, column 10)");
        for (Map.Entry<String, String> d : damage.entrySet()) {
            Files.writeString(state, d.getKey());
            CliDriver.Result r = CLI.run("boot", "--stop", "x", "--scratch", dir.toString());
            assertEquals(1, r.exitCode(), r.stderr());
            assertEquals("virtchain: " + state + ": unreadable boot state: " + d.getValue() + "\n", r.stderr(), d.getKey());
        }
    }

    @Test
    void verifyRefusesAnExpectThatIsNoRegularExpression() {
        CliDriver.Result r = CLI.run("verify", dir.toString(), "--boot", "--expect", "(unclosed");
        assertEquals(2, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("virtchain: --expect (unclosed: Unclosed group"), r.stderr());
    }

    @Test
    void helpShowsTheCommandsAsBuilt() {
        String boot = CLI.run("boot", "--help").stdout();
        for (String option : List.of("--at", "--name", "--connect", "--scratch", "--keep-network", "--stop", "--json")) {
            assertTrue(boot.contains(option), option + " in\n" + boot);
        }
        String verify = CLI.run("verify", "--help").stdout();
        for (String option : List.of("--boot", "--timeout", "--expect", "--connect", "--scratch")) {
            assertTrue(verify.contains(option), option + " in\n" + verify);
        }
        assertTrue(CLI.run("--help").stdout().contains("boot"));
    }
}
