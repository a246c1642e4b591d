package dev.virtchain.qcow2.ops;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.check.Qcow2Check;
import dev.virtchain.qcow2.io.RunningCrc32c;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** {@code qemu-img check -r leaks}: frees the clusters an image counts more often than it references. */
public final class LeakRepair {
    private LeakRepair() {
    }

    /**
     * Frees the clusters of {@code path} that are counted more often than they are referenced
     * (leaked), as {@code qemu-img check -r leaks} does, and returns how many clusters had leaked.
     * A writer killed inside its flush leaves such clusters; they harm nothing, but a check
     * reports them. An image the check finds corrupt, or cannot finish, is left as it is (0):
     * this repairs leaks only. The image's own file is checked, not its backing chain.
     */
    public static long dropLeaks(Path path) throws IOException {
        return dropLeaks(path, null);
    }

    /** As {@link #dropLeaks(Path)}, the changes told to {@code crc} (null: none); see {@link RunningCrc32c}. */
    public static long dropLeaks(Path path, RunningCrc32c crc) throws IOException {
        Map<Long, Long> leaked = new TreeMap<>();
        CheckResult r;
        try (Image image = Images.open(path.toString(), "qcow2", false)) {
            r = Qcow2Check.check((Qcow2Image) image, line -> { }, leaked::put);
        }
        if (r.leaks() == 0 || r.corruptions() > 0 || r.failure() != null || r.checkErrors() > 0) {
            return 0;
        }
        Qcow2Writer.freeLeaked(path, leaked, crc);
        return leaked.size();
    }
}
