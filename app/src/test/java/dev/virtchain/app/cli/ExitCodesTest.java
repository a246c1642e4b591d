package dev.virtchain.app.cli;

import dev.virtchain.app.VirtchainCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.virtchain.app.backup.BackupException;
import dev.virtchain.app.libvirt.HypervisorException;
import dev.virtchain.app.state.BootException;
import dev.virtchain.chain.ChainException;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The one line an exception becomes: the object, the problem, and never a Java class name. */
class ExitCodesTest {
    @Test
    void anUnexpectedExceptionIsABugAndNamesNoJavaClass() {
        assertEquals("internal error: index 7 out of bounds; this is a bug, please report it with --debug output",
                ExitCodes.describe(new IllegalStateException("index 7 out of bounds")));
        assertEquals("internal error; this is a bug, please report it with --debug output",
                ExitCodes.describe(new NullPointerException()));
    }

    @Test
    void anIoErrorWithoutAMessageSaysWhatKindItIs() {
        assertEquals("input/output error", ExitCodes.describe(new IOException()));
    }

    @Test
    void aFileSystemErrorNamesTheFileAndTheReasonOnOneLine() {
        assertEquals("/b/vm\\nx.qcow2: permission denied",
                ExitCodes.describe(new AccessDeniedException("/b/vm\nx.qcow2")));
        assertEquals("/b/a -> /b/c: Is a directory", ExitCodes.describe(new FileSystemException("/b/a", "/b/c",
                "Is a directory")));
    }

    @Test
    void everyModulesErrorsCarryTheirKind() {
        assertEquals(ErrorKind.CORRUPT, ExitCodes.kind(new ImageException("vda.qcow2", "l1 table past end of file")));
        assertEquals(ErrorKind.NOT_FOUND,
                ExitCodes.kind(new ChainException(ErrorKind.NOT_FOUND, "there is no backup 9")));
        assertEquals(ErrorKind.CONFLICT, ExitCodes.kind(new BackupException(ErrorKind.CONFLICT, "domain vm is busy")));
        assertEquals(ErrorKind.CONFLICT, ExitCodes.kind(new BootException(ErrorKind.CONFLICT, "x already exists")));
        assertEquals(ErrorKind.CORRUPT, ExitCodes.kind(new LibvirtXmlException("domain XML", "no root element")));
        assertEquals(ErrorKind.USAGE, ExitCodes.kind(new CommandLine.ParameterException(
                new CommandLine(new VirtchainCommand()), "--at x: not a point in time")));
        assertNull(ExitCodes.kind(new IllegalArgumentException("seq -1 is negative")));
    }

    @Test
    void usageExitsTwoEveryOtherKindOneOrTheCommandsOwnCode() {
        assertEquals(ExitCodes.USAGE, ExitCodes.exitCode(ErrorKind.USAGE, new Object()));
        ExitCodes.ErrorExitCode compare = () -> 2;
        ExitCodes.ErrorExitCode check = () -> 3;
        for (ErrorKind k : ErrorKind.values()) {
            if (k != ErrorKind.USAGE) {
                assertEquals(ExitCodes.ERROR, ExitCodes.exitCode(k, new Object()), k.name());
                assertEquals(2, ExitCodes.exitCode(k, compare), k.name());
                assertEquals(3, ExitCodes.exitCode(k, check), k.name());
            }
        }
        assertEquals(ExitCodes.ERROR, ExitCodes.exitCode(null, new Object()), "a bug exits 1");
        assertEquals(ExitCodes.USAGE, ExitCodes.exitCode(ErrorKind.USAGE, compare), "usage is usage everywhere");
    }

    @Test
    void aKindedErrorIsItsMessageAsItIs() {
        assertEquals("domain vm1: backup begin: internal error: qemu said no", ExitCodes.describe(new HypervisorException(
                "domain vm1: backup begin: internal error: qemu said no")));
        assertEquals("pre-hook 'exit 3' exited 3", ExitCodes.describe(
                new BackupException(ErrorKind.IO, "pre-hook 'exit 3' exited 3")));
    }
}
