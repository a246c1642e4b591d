package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps one run at a time in a backup directory: an OS lock on {@code <dir>/.lock}, taken without
 * waiting. The kernel drops it when the holder exits however it exits, so a crashed run never
 * leaves the directory locked. The holder writes its pid into the file for the message others get.
 */
public final class DirectoryLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir}, or fails at once with a ChainException naming it when another run holds it. */
    public static DirectoryLock acquire(Path dir) throws IOException, ChainException {
        Path file = dir.resolve(Naming.LOCK);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            if (!Files.isDirectory(dir)) { // the user named the directory; the lock file is ours
                throw new ChainException(ErrorKind.NOT_FOUND, dir + ": no such directory",
                        "is " + dir + " a virtchain backup directory?");
            }
            throw e;
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM already holds it
            }
            if (lock == null) {
                String holder = holder(ch);
                ch.close();
                throw new ChainException(ErrorKind.CONFLICT,
                        "backup directory " + dir + " is in use by another virtchain run"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ": " + file + " is locked",
                        "wait for it to finish");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DirectoryLock(ch, lock);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer buf = ByteBuffer.allocate(32);
            ch.read(buf, 0);
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
            return s.chars().allMatch(c -> c >= '0' && c <= '9') ? s : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Releases the lock; the file stays, so the next run locks the same inode. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
