package dev.virtchain.qcow2.io;

import dev.virtchain.qcow2.ImageException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way virtchain makes a file durable, with one promise: once a method here returns, the
 * file's data and its name survive a crash or a power cut; until then a reader sees the file as
 * it was (or no file), never a part of the new one. The steps, always in this order:
 *
 * <ol>
 * <li>write under a temporary name beside the file ({@code .NAME.RANDOM.partial}: the same
 *     directory, so the rename cannot cross file systems; a leading dot, so listings skip it);
 * <li>fsync the temporary file: its data is on disk before any name points at it;
 * <li>rename it to the file's name, atomically (rename(2));
 * <li>fsync the directory: the rename itself is on disk.
 * </ol>
 *
 * {@link #write}, {@link #writeString} and {@link #copy} do all four. A file written by a writer
 * of its own (an image: {@link AtomicOutput}, a restore's flatten, a backup's targets) is written
 * under {@link #createTemporaryBeside a temporary name}, then handed to {@link #publish}, which does
 * the last three. Errors name the file, never the temporary name, which the user never saw.
 */
public final class DurableFiles {
    /** What happens when the file exists already. */
    public enum IfExists {
        /** The new file replaces it, in one step. */
        REPLACE,
        /** The write fails (checked before writing and again just before the rename). */
        FAIL
    }

    /** The three steps that make a finished file durable; a test can record them. */
    interface Syscalls {
        void fsync(Path file) throws IOException;

        void rename(Path from, Path to) throws IOException;

        void fsyncDirectory(Path dir) throws IOException;
    }

    static final Syscalls SYSTEM = new Syscalls() {
        @Override
        public void fsync(Path file) throws IOException {
            // Read-only is enough for fsync, and works on a file already made read-only.
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
            }
        }

        @Override
        public void rename(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void fsyncDirectory(Path dir) throws IOException {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // Some file systems cannot fsync a directory (EINVAL); the rename is as durable as they make it.
                if (e.getMessage() == null || !e.getMessage().contains("Invalid argument")) {
                    throw e;
                }
            }
        }
    };

    private static final String SUFFIX = ".partial";

    private DurableFiles() {
    }

    /** Writes {@code data} as {@code file}; {@code attrs} are those of a new file (its mode, say). */
    public static void write(Path file, byte[] data, IfExists ifExists, FileAttribute<?>... attrs) throws IOException {
        write(SYSTEM, file, data, ifExists, attrs);
    }

    /** Writes {@code text} as {@code file} in UTF-8, replacing what was there. */
    public static void writeString(Path file, String text) throws IOException {
        write(SYSTEM, file, text.getBytes(StandardCharsets.UTF_8), IfExists.REPLACE);
    }

    /** Copies {@code source} to {@code target}, which gets the source's permissions, as {@link Files#copy} gives. */
    public static void copy(Path source, Path target, IfExists ifExists) throws IOException {
        copy(SYSTEM, source, target, ifExists);
    }

    /**
     * Makes {@code temporary}, a finished file beside {@code file}, durable under the name
     * {@code file}: fsync, rename, fsync the directory. Errors name {@code file}.
     */
    public static void publish(Path temporary, Path file, IfExists ifExists) throws IOException {
        publish(SYSTEM, temporary, file, ifExists);
    }

    /**
     * Creates an empty file under a fresh temporary name beside {@code file} and returns that
     * name: the directory exists and can be written. A writer that wants to create the file
     * itself deletes it first.
     */
    public static Path createTemporaryBeside(Path file, FileAttribute<?>... attrs) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String prefix = "." + file.getFileName() + ".";
        while (true) {
            Path tmp = dir.resolve(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong()) + SUFFIX);
            try {
                return Files.createFile(tmp, attrs);
            } catch (FileAlreadyExistsException e) {
                // another name, then
            }
        }
    }

    static void write(Syscalls sys, Path file, byte[] data, IfExists ifExists, FileAttribute<?>... attrs)
            throws IOException {
        refuseExisting(file, ifExists, null);
        Path tmp = createTemporaryBeside(file, attrs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                Positional.writeFully(ch, ByteBuffer.wrap(data), 0);
            } catch (IOException e) {
                throw about(file, tmp, e);
            }
            publish(sys, tmp, file, ifExists);
        } finally {
            Files.deleteIfExists(tmp); // gone already once published
        }
    }

    static void copy(Syscalls sys, Path source, Path target, IfExists ifExists) throws IOException {
        refuseExisting(target, ifExists, null);
        Path tmp = createTemporaryBeside(target);
        try {
            try {
                Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw about(target, tmp, e);
            }
            publish(sys, tmp, target, ifExists);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void publish(Syscalls sys, Path temporary, Path file, IfExists ifExists) throws IOException {
        try {
            sys.fsync(temporary);
            refuseExisting(file, ifExists, "appeared while it was being written");
            sys.rename(temporary, file);
            sys.fsyncDirectory(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw about(file, temporary, e);
        }
    }

    private static void refuseExisting(Path file, IfExists ifExists, String reason) throws FileAlreadyExistsException {
        if (ifExists == IfExists.FAIL && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(file.toString(), null, reason);
        }
    }

    /**
     * {@code e} about {@code file} when it was about the temporary file or about no file at all
     * (a full disk, EIO): the user knows {@code file}. Errors about other files and
     * interruptions stay as they are.
     */
    private static IOException about(Path file, Path temporary, IOException e) {
        if (e instanceof InterruptedIOException) {
            return e;
        }
        if (e instanceof FileSystemException f) {
            String tmp = temporary.toString();
            if (!tmp.equals(f.getFile()) && !tmp.equals(f.getOtherFile())) {
                return e;
            }
        }
        FileSystemException named = new FileSystemException(file.toString(), null, ImageException.reason(e));
        named.initCause(e);
        return named;
    }
}
