package dev.virtchain.chain;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a prune out of a backup directory while commands read its chain files, and readers out
 * while a prune writes them (docs/DESIGN.md, "Readers and prune"): an OS lock on
 * {@code <dir>/.readers.lock}, shared by readers (restore, verify, boot while it starts), exclusive
 * for the prune steps. It is independent of the run lock ({@link DirectoryLock}), so a backup, which
 * only appends, runs beside readers. Taken without waiting; the kernel drops it when the holder dies.
 *
 * <p>Within one JVM there is one channel and one OS lock per directory, counted: POSIX record locks
 * belong to the process, and closing any channel on the file would drop them all. A second shared
 * lock in the same JVM shares the first; an exclusive one beside any other fails as another process's
 * would.
 */
public final class ReadersLock implements AutoCloseable {
    private static final Map<Path, Held> HELD = new HashMap<>();

    private static final class Held {
        final FileChannel channel;
        final FileLock lock;
        int count = 1;

        Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }
    }

    private final Path key;
    private boolean closed;

    private ReadersLock(Path key) {
        this.key = key;
    }

    /**
     * A reader's lock on {@code dir}, or a ChainException at once naming the prune that holds it
     * exclusively. A directory this user cannot write and that has no lock file yet (made by every
     * backup and prune) is read without one.
     */
    public static ReadersLock shared(Path dir) throws IOException, ChainException {
        Optional<ReadersLock> l = take(dir, true);
        if (l.isPresent()) {
            return l.get();
        }
        Path file = dir.resolve(Naming.READERS_LOCK);
        List<Holder> h = holders(dir);
        throw new ChainException(ErrorKind.CONFLICT, "backup directory " + dir + " is being pruned"
                + (h.isEmpty() ? "" : " by " + h.get(0)) + ": " + file + " is locked",
                "wait for the prune to finish and run this again");
    }

    /** The prune's lock on {@code dir}, or empty when a reader holds it (see {@link #holders}). */
    public static Optional<ReadersLock> tryExclusive(Path dir) throws IOException {
        return take(dir, false);
    }

    private static Optional<ReadersLock> take(Path dir, boolean shared) throws IOException {
        Path file = dir.resolve(Naming.READERS_LOCK);
        Path key = dir.toAbsolutePath().normalize().resolve(Naming.READERS_LOCK);
        synchronized (HELD) {
            Held held = HELD.get(key);
            if (held != null) {
                if (shared && held.lock.isShared()) {
                    held.count++;
                    return Optional.of(new ReadersLock(key));
                }
                return Optional.empty();
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (FileSystemException e) {
                if (!shared) {
                    throw e;
                }
                // Not writable here (or no such directory, which the reader's own error will name):
                // lock the file read-only if it is there; a directory without one is read unlocked.
                if (!Files.isRegularFile(file)) {
                    return Optional.of(new ReadersLock(null));
                }
                ch = FileChannel.open(file, StandardOpenOption.READ);
            }
            try {
                FileLock lock;
                try {
                    lock = ch.tryLock(0, Long.MAX_VALUE, shared);
                } catch (OverlappingFileLockException e) {
                    lock = null;
                }
                if (lock == null) {
                    ch.close();
                    return Optional.empty();
                }
                HELD.put(key, new Held(ch, lock));
                return Optional.of(new ReadersLock(key));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
    }

    /** A process holding a directory's readers lock: its pid and, when it is a virtchain command, which one. */
    public record Holder(long pid, String command) {
        @Override
        public String toString() {
            return command == null ? "pid " + pid : "virtchain " + command + " (pid " + pid + ")";
        }
    }

    private static final Set<String> COMMANDS = Set.of("backup", "prune", "restore", "verify", "boot", "list");

    /**
     * The processes that hold a lock on {@code dir}'s readers lock file now, from Linux's
     * {@code /proc/locks}; empty when that cannot tell.
     */
    public static List<Holder> holders(Path dir) {
        try {
            Object ino = Files.getAttribute(dir.resolve(Naming.READERS_LOCK), "unix:ino");
            Set<Long> pids = new LinkedHashSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
                String[] f = line.trim().split("\\s+");
                // "1: POSIX  ADVISORY  READ 1234 fd:01:5678 0 EOF"; waiters have "->" after the number
                if (f.length < 6 || f[1].equals("->")) {
                    continue;
                }
                String[] dev = f[5].split(":");
                if (dev.length == 3 && dev[2].equals(ino.toString())) {
                    try {
                        pids.add(Long.parseLong(f[4]));
                    } catch (NumberFormatException e) {
                        // an OFD lock has no pid
                    }
                }
            }
            List<Holder> out = new ArrayList<>();
            for (long pid : pids) {
                out.add(new Holder(pid, command(pid)));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String command(long pid) {
        try {
            String[] args = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
                    StandardCharsets.UTF_8).split("\0");
            for (String a : args) {
                if (COMMANDS.contains(a)) {
                    return a;
                }
            }
        } catch (IOException e) {
            // gone meanwhile
        }
        return null;
    }

    /** Releases this hold; the OS lock goes with the last one in this JVM. The file stays. */
    @Override
    public void close() throws IOException {
        if (closed || key == null) {
            closed = true;
            return;
        }
        closed = true;
        synchronized (HELD) {
            Held held = HELD.get(key);
            if (held == null || --held.count > 0) {
                return;
            }
            HELD.remove(key);
            try {
                held.lock.release();
            } finally {
                held.channel.close();
            }
        }
    }
}
