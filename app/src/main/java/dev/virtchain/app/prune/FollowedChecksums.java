package dev.virtchain.app.prune;

import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.qcow2.io.RunningCrc32c;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The checksums of the files a prune rewrites, followed through its commits instead of read
 * again afterwards (reading a 2 GiB full once more took longer than committing an inc into it):
 * a commit into a file whose CRC-32C is known starts a {@link RunningCrc32c} from it, and the
 * manifest update that records the file's new checksum takes the followed one. A file's checksum
 * is known when this process computed it, or, for a file no step of this run has written yet, from
 * the manifest, but only in a run whose journal this process started: a prune resumed after a
 * crash may find files half written, so it reads them. SHA checksums are always read again.
 */
final class FollowedChecksums {
    private final Path dir;
    private final boolean trustManifest;
    /** Checksums this process computed, by file name, as the files are now. */
    private final Map<String, Checksum> known = new HashMap<>();
    /** Files this run has written. */
    private final Set<String> written = new HashSet<>();

    /** @param trustManifest whether the manifest's checksums are those of the files not written yet */
    FollowedChecksums(Path dir, boolean trustManifest) {
        this.dir = dir;
        this.trustManifest = trustManifest;
    }

    /** A tracker for a commit into {@code file}, or null when its CRC-32C is not known now. */
    RunningCrc32c beforeWriting(Manifest m, String file) throws IOException {
        Checksum start = known.get(file);
        if (start == null && trustManifest && !written.contains(file)) {
            start = recorded(m, file);
        }
        written.add(file);
        known.remove(file);
        if (start == null || !start.algorithm().equals(Checksum.CRC32C)) {
            return null;
        }
        return RunningCrc32c.of(Integer.parseUnsignedInt(start.value(), 16), Files.size(dir.resolve(file)));
    }

    private static Checksum recorded(Manifest m, String file) {
        for (var b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                if (d.file().equals(file)) {
                    return d.checksum();
                }
            }
        }
        return null;
    }

    /** {@code file} was written with {@code crc} following it (null: not followed). */
    void afterWriting(String file, RunningCrc32c crc) {
        OptionalInt v = crc == null ? OptionalInt.empty() : crc.value();
        if (v.isPresent()) {
            known.put(file, new Checksum(Checksum.CRC32C, String.format("%08x", v.getAsInt())));
        }
    }

    void renamed(String from, String to) {
        known.remove(to);
        Checksum c = known.remove(from);
        if (c != null) {
            known.put(to, c);
        }
        if (written.remove(from)) {
            written.add(to);
        }
    }

    void deleted(String file) {
        known.remove(file);
        written.add(file); // a file of that name made later is not the one the manifest describes
    }

    /** {@code file}'s checksum in {@code algorithm}: followed when known, else read. */
    Checksum of(String algorithm, String file) throws IOException {
        Checksum c = known.get(file);
        if (c != null && c.algorithm().equals(algorithm)) {
            return c;
        }
        c = Checksum.of(algorithm, dir.resolve(file));
        known.put(file, c);
        return c;
    }
}
