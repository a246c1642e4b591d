package dev.virtchain.qcow2.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one promise of {@link DurableFiles}: fsync the data, rename, fsync the directory, in that order. */
class DurableFilesTest {
    @TempDir
    Path dir;

    /**
     * The real system calls, each noted as it happens with what the file system shows then: the
     * temporary file's content when it is fsynced, the file's content just before the rename.
     * Fails the step named {@code failAt}, if any.
     */
    private static final class Recorder implements DurableFiles.Syscalls {
        final List<String> steps = new ArrayList<>();
        final String failAt;

        Recorder(String failAt) {
            this.failAt = failAt;
        }

        @Override
        public void fsync(Path file) throws IOException {
            step("fsync " + file.getFileName() + " holding '" + Files.readString(file) + "'");
            DurableFiles.SYSTEM.fsync(file);
        }

        @Override
        public void rename(Path from, Path to) throws IOException {
            step("rename " + from.getFileName() + " over " + to.getFileName()
                    + (Files.exists(to) ? " holding '" + Files.readString(to) + "'" : ""));
            DurableFiles.SYSTEM.rename(from, to);
        }

        @Override
        public void fsyncDirectory(Path d) throws IOException {
            step("fsync directory " + d.getFileName());
            DurableFiles.SYSTEM.fsyncDirectory(d);
        }

        private void step(String s) throws IOException {
            if (failAt != null && s.startsWith(failAt)) {
                throw new IOException("Input/output error");
            }
            steps.add(s.replaceAll("\\.\\d+\\.partial", ".N.partial"));
        }
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteFsyncsTheDataThenRenamesThenFsyncsTheDirectory() throws Exception {
        Path f = dir.resolve("virtchain.json");
        Files.writeString(f, "old");
        Recorder r = new Recorder(null);
        DurableFiles.write(r, f, "new".getBytes(StandardCharsets.UTF_8), DurableFiles.IfExists.REPLACE);
        assertEquals(List.of(
                "fsync .virtchain.json.N.partial holding 'new'",
                "rename .virtchain.json.N.partial over virtchain.json holding 'old'",
                "fsync directory " + dir.getFileName()), r.steps);
        assertEquals("new", Files.readString(f));
        assertEquals(List.of("virtchain.json"), names());
    }

    @Test
    void aCopyTakesTheSameThreeSteps() throws Exception {
        Path src = dir.resolve("nvram.fd");
        Files.writeString(src, "vars");
        Recorder r = new Recorder(null);
        DurableFiles.copy(r, src, dir.resolve("copy.fd"), DurableFiles.IfExists.FAIL);
        assertEquals(List.of(
                "fsync .copy.fd.N.partial holding 'vars'",
                "rename .copy.fd.N.partial over copy.fd",
                "fsync directory " + dir.getFileName()), r.steps);
        assertEquals("vars", Files.readString(dir.resolve("copy.fd")));
    }

    @Test
    void aFileWrittenByItsOwnWriterIsPublishedWithTheSameSteps() throws Exception {
        Path f = dir.resolve("vda.qcow2");
        Path tmp = DurableFiles.createTemporaryBeside(f);
        assertTrue(tmp.getFileName().toString().matches("\\.vda\\.qcow2\\.\\d+\\.partial"), tmp.toString());
        Files.writeString(tmp, "image");
        Recorder r = new Recorder(null);
        DurableFiles.publish(r, tmp, f, DurableFiles.IfExists.FAIL);
        assertEquals(List.of(
                "fsync .vda.qcow2.N.partial holding 'image'",
                "rename .vda.qcow2.N.partial over vda.qcow2",
                "fsync directory " + dir.getFileName()), r.steps);
    }

    @Test
    void aFailedFsyncRenamesNothingAndLeavesTheOldFileAndNoTemporary() throws Exception {
        Path f = dir.resolve("domain.0003.xml");
        Files.writeString(f, "old");
        Recorder r = new Recorder("fsync .domain");
        FileSystemException e = assertThrows(FileSystemException.class, () -> DurableFiles.write(r, f,
                "new".getBytes(StandardCharsets.UTF_8), DurableFiles.IfExists.REPLACE));
        assertEquals(f.toString(), e.getFile(), "the error names the file, not the temporary one");
        assertEquals("Input/output error", e.getReason());
        assertEquals(List.of(), r.steps);
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("domain.0003.xml"), names());
    }

    @Test
    void aDirectoryThatCannotBeFsyncedFailsTheWriteAfterTheRename() throws Exception {
        Path f = dir.resolve("boot.json");
        Recorder r = new Recorder("fsync directory");
        assertThrows(FileSystemException.class, () -> DurableFiles.write(r, f, "{}".getBytes(StandardCharsets.UTF_8),
                DurableFiles.IfExists.REPLACE));
        assertEquals(List.of("boot.json"), names(), "renamed, and no temporary file left");
    }

    @Test
    void failRefusesAnExistingFileBeforeWritingAnything() throws Exception {
        Path f = dir.resolve("web01.xml");
        Files.writeString(f, "mine");
        Recorder r = new Recorder(null);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> DurableFiles.write(r, f,
                "new".getBytes(StandardCharsets.UTF_8), DurableFiles.IfExists.FAIL));
        assertEquals(f.toString(), e.getFile());
        assertEquals(List.of(), r.steps);
        assertEquals("mine", Files.readString(f));
        assertEquals(List.of("web01.xml"), names());
    }

    @Test
    void failRefusesAFileThatAppearedWhileTheTemporaryWasWritten() throws Exception {
        Path f = dir.resolve("vda.qcow2");
        Path tmp = DurableFiles.createTemporaryBeside(f);
        Files.writeString(f, "someone else's");
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> DurableFiles.publish(new Recorder(null), tmp, f, DurableFiles.IfExists.FAIL));
        assertEquals("appeared while it was being written", e.getReason());
        assertEquals("someone else's", Files.readString(f));
    }

    @Test
    void aNewFileGetsTheModeAskedFor() throws Exception {
        Path f = dir.resolve("virtchain.json");
        DurableFiles.write(f, new byte[] {'{', '}'}, DurableFiles.IfExists.REPLACE,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    @Test
    void aDirectoryThatDoesNotExistFailsBeforeAnyStep() {
        Recorder r = new Recorder(null);
        assertThrows(java.nio.file.NoSuchFileException.class,
                () -> DurableFiles.write(r, dir.resolve("nope/x.xml"), new byte[1], DurableFiles.IfExists.REPLACE));
        assertEquals(List.of(), r.steps);
    }
}
