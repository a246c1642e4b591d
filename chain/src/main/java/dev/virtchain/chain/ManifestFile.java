package dev.virtchain.chain;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Reads and writes {@code <dir>/virtchain.json}. Writing is the commit point of a backup, so it
 * is atomic: the new manifest goes to a temporary file in the same directory, is fsynced, renamed
 * over the old one and the directory is fsynced. A reader sees the old manifest or the new one,
 * never a mix, whatever moment the writer dies at.
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

    /** The manifest of {@code dir}; a ManifestException when it has none. */
    public static Manifest load(Path dir) throws IOException, ManifestException {
        return read(dir).orElseThrow(() -> new ManifestException(dir.resolve(Naming.MANIFEST).toString(),
                "does not exist", "is " + dir + " a virtchain backup directory?"));
    }

    /** Replaces the manifest of {@code dir} with {@code manifest}, atomically and durably. */
    public static void write(Path dir, Manifest manifest) throws IOException {
        byte[] bytes = ManifestJson.encode(manifest);
        Path target = dir.resolve(Naming.MANIFEST);
        // Same directory: the rename must not cross file systems to stay atomic. Mode 0600.
        Path tmp = Files.createTempFile(dir, "." + Naming.MANIFEST + ".", ".tmp");
        boolean renamed = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf, buf.position());
                }
                ch.force(true); // the content is on disk before any name points at it
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE); // rename(2) replaces the old manifest
            renamed = true;
            syncDirectory(dir); // the rename itself survives a crash
        } finally {
            if (!renamed) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot fsync a directory (EINVAL); the rename is done either way.
            if (!(e.getMessage() != null && e.getMessage().contains("Invalid argument"))) {
                throw e;
            }
        }
    }
}
