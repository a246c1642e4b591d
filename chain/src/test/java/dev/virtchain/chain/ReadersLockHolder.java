package dev.virtchain.chain;

import java.nio.file.Path;

/**
 * A reader (or a prune) in its own JVM: takes the readers lock of the directory given, shared or
 * ({@code exclusive}) exclusively, prints {@code locked}, and holds it until its stdin closes.
 */
public final class ReadersLockHolder {
    private ReadersLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (ReadersLock lock = args[1].equals("exclusive") ? ReadersLock.tryExclusive(dir).orElseThrow()
                : ReadersLock.shared(dir)) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin
            }
        }
    }
}
