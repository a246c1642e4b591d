package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ErrorKindTest {
    @Test
    void anImageErrorIsCorruptUnlessToldOtherwise() {
        assertEquals(ErrorKind.CORRUPT, ErrorKind.of(new ImageException("vda.qcow2", "l1 table past end of file")));
        assertEquals(ErrorKind.UNSUPPORTED, ErrorKind.of(new ImageException(ErrorKind.UNSUPPORTED, "vda.qcow2", "x")));
    }

    @Test
    void fileSystemErrorsHaveTheKindOfTheirType() {
        assertEquals(ErrorKind.NOT_FOUND, ErrorKind.of(new NoSuchFileException("/b/x")));
        assertEquals(ErrorKind.CONFLICT, ErrorKind.of(new FileAlreadyExistsException("/b/x")));
        assertEquals(ErrorKind.IO, ErrorKind.of(new AccessDeniedException("/b/x")));
        assertEquals(ErrorKind.IO, ErrorKind.of(new IOException("No space left on device")));
    }

    @Test
    void anExceptionNobodyExpectedHasNoKind() {
        assertNull(ErrorKind.of(new IllegalArgumentException("seq -1 is negative")));
        assertNull(ErrorKind.of(new NullPointerException()));
    }

    @Test
    void anErrorAboutATemporaryFileKeepsItsKindWhenToldAboutTheUsersFile() {
        Path tmp = Path.of("/b/.out.qcow2.1.partial");
        assertEquals(ErrorKind.NOT_FOUND, ErrorKind.of(ImageException.about("/b/out.qcow2", tmp,
                new NoSuchFileException(tmp.toString()))));
        assertEquals(ErrorKind.IO, ErrorKind.of(ImageException.about("/b/out.qcow2", tmp,
                new IOException("File too large"))));
        assertEquals(ErrorKind.CONFLICT, ErrorKind.of(ImageException.about("/b/out.qcow2", tmp,
                new ImageException(ErrorKind.CONFLICT, tmp.toString(), "already exists"))));
    }
}
