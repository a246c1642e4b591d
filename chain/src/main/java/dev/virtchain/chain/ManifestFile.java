package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.io.DurableFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Reads and writes {@code <dir>/virtchain.json}. Writing is the commit point of a backup, so it
 * goes through {@link DurableFiles}: a reader sees the old manifest or the new one, never a mix,
 * whatever moment the writer dies at, and the new one survives a power cut once written.
 */
public final class ManifestFile {
    /** Years of daily backups of many disks fit in a few MiB; a larger file is not ours. */
    static final long MAX_BYTES = 64L << 20;

    private ManifestFile() {
    }

    /** The manifest of {@code dir}, or empty when the directory has none yet. */
    public static Optional<Manifest> read(Path dir) throws IOException, ManifestException {
        Path file = dir.resolve(Naming.MANIFEST);
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_BYTES) {
                throw new ManifestException(file.toString(), "is " + size + " bytes, more than a manifest can be ("
                        + MAX_BYTES + ")");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
                // positional reads until full or end of file
            }
            bytes = buf.hasRemaining() ? java.util.Arrays.copyOf(buf.array(), buf.position()) : buf.array();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(ManifestJson.decode(file.toString(), bytes));
    }

    /** The manifest in {@code bytes}, read from where {@code name} says (a remote copy, say). */
    public static Manifest decode(String name, byte[] bytes) throws ManifestException {
        if (bytes.length > MAX_BYTES) {
            throw new ManifestException(name, "is " + bytes.length + " bytes, more than a manifest can be (" + MAX_BYTES + ")");
        }
        return ManifestJson.decode(name, bytes);
    }

    /** The manifest of {@code dir}; a ManifestException when it has none. */
    public static Manifest load(Path dir) throws IOException, ManifestException {
        return read(dir).orElseThrow(() -> missing(dir));
    }

    /** The failure of a command on {@code dir} when {@code dir} has no manifest. */
    public static ManifestException missing(Path dir) {
        return new ManifestException(ErrorKind.NOT_FOUND, dir.resolve(Naming.MANIFEST).toString(), "does not exist",
                "is " + dir + " a virtchain backup directory?");
    }

    /** Replaces the manifest of {@code dir} with {@code manifest}, atomically and durably (mode 0600). */
    public static void write(Path dir, Manifest manifest) throws IOException {
        DurableFiles.write(dir.resolve(Naming.MANIFEST), ManifestJson.encode(manifest), DurableFiles.IfExists.REPLACE,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
}
