package dev.virtchain.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtchain.qcow2.format.HeaderFixture;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.testing.Qemu;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ErrorKindTest {
    @TempDir
    Path dir;

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

    @Test
    void aMissingImageOrBackingFileIsNotFound() throws IOException {
        assertKind(ErrorKind.NOT_FOUND, dir + "/none.qcow2: no such file", () -> open(dir.resolve("none.qcow2")));
        Path top = new HeaderFixture(9).withBacking("gone.qcow2", "qcow2").write(dir.resolve("top.qcow2"));
        assertKind(ErrorKind.NOT_FOUND, top + ": backing file 'gone.qcow2' (" + dir.resolve("gone.qcow2")
                + ") does not exist", () -> open(top));
    }

    @Test
    void whatVirtchainDoesNotReadIsUnsupported() throws IOException {
        HeaderFixture unknownBit = HeaderFixture.valid();
        unknownBit.incompatibleFeatures |= 1L << 63;
        Path a = unknownBit.write(dir.resolve("a.qcow2"));
        assertKind(ErrorKind.UNSUPPORTED, a + ": unsupported incompatible feature(s): bit 63", () -> open(a));
        HeaderFixture encrypted = HeaderFixture.valid();
        encrypted.cryptMethod = 2;
        Path b = encrypted.write(dir.resolve("b.qcow2"));
        assertKind(ErrorKind.UNSUPPORTED, b + ": image is encrypted (crypt_method 2, LUKS); virtchain does not read"
                + " encrypted images", () -> open(b));
    }

    @Test
    void aDamagedImageIsCorrupt() throws IOException {
        HeaderFixture f = HeaderFixture.valid();
        f.refcountTableClusters = 0;
        Path a = f.write(dir.resolve("a.qcow2"));
        assertKind(ErrorKind.CORRUPT, a + ": refcount_table_clusters is 0: the image has no refcount table",
                () -> open(a));
    }

    @Test
    void creatingAnImageThatExistsIsAConflictAndABadClusterSizeIsUsage() throws IOException {
        Path p = dir.resolve("new.qcow2");
        Qcow2Writer.create(p, CreateOptions.of(1 << 20)).close();
        Qemu.assertClean(p);
        assertKind(ErrorKind.CONFLICT, p + ": already exists", () -> Qcow2Writer.create(p, CreateOptions.of(1 << 20)));
        Path q = dir.resolve("q.qcow2");
        assertKind(ErrorKind.USAGE, q + ": cluster size 256 is out of range (512 B to 2 MiB)",
                () -> Qcow2Writer.create(q, CreateOptions.of(1 << 20).withClusterBits(8)));
    }

    private static void open(Path image) throws IOException {
        Images.open(image.toString()).close();
    }

    private static void assertKind(ErrorKind kind, String message, Executable work) {
        ImageException e = assertThrows(ImageException.class, work);
        assertEquals(message, e.getMessage());
        assertEquals(kind, e.kind(), message);
    }
}
