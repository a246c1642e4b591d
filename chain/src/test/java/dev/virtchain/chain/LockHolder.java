package dev.virtchain.chain;

import java.nio.file.Path;

/**
 * A second virtchain run in its own JVM (OS file locks are per process): locks the directory
 * given, prints {@code locked}, and holds the lock until its stdin closes.
 */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (DirectoryLock lock = DirectoryLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin
            }
        }
    }
}
