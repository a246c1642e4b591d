package dev.virtchain.app.img;

import dev.virtchain.qcow2.PastEnd;
import java.io.PrintWriter;

/**
 * The {@code img} commands read as qemu-img does: data a truncated file lacks reads as zeros. They
 * say so once per file on stderr, where qemu-img stays silent.
 */
final class PastEndWarnings {
    private PastEndWarnings() {
    }

    static PastEnd on(PrintWriter err) {
        return PastEnd.zerosWithWarning(w -> {
            synchronized (err) {
                err.println("virtchain: warning: " + w);
                err.flush();
            }
        });
    }
}
