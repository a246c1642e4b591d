package dev.virtchain.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

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
}
