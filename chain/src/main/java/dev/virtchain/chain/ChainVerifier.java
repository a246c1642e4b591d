package dev.virtchain.chain;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.check.Qcow2Check;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Checks backup files against the manifest through their qcow2 headers: each file exists, has
 * the manifest's virtual size, and its backing name is exactly the one the manifest records.
 * The headers are what qemu follows, so a mismatch means restore would read another chain than
 * the manifest describes.
 */
public final class ChainVerifier {
    private ChainVerifier() {
    }

    /** Checks every file the point in time is read through. */
    public static void verify(Path dir, RestorePoint point) throws IOException, ChainException {
        verify(dir, point, false);
    }

    /**
     * Checks every file the point in time is read through and, with {@code structure}, the
     * structure of each ({@link #structure}), opening each file once.
     */
    public static void verify(Path dir, RestorePoint point, boolean structure) throws IOException, ChainException {
        for (DiskChain chain : point.disks()) {
            for (DiskBackup layer : chain.layers()) {
                verify(dir, layer, structure);
            }
        }
    }

    /** Checks every file of every backup in the manifest, each once. */
    public static void verifyAll(Path dir, Manifest m) throws IOException, ChainException {
        Set<String> done = new HashSet<>();
        for (Backup b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                if (done.add(d.file())) {
                    verify(dir, d);
                }
            }
        }
    }

    /** Checks one file's header against its manifest record. */
    public static void verify(Path dir, DiskBackup d) throws IOException, ChainException {
        verify(dir, d, false);
    }

    /**
     * Checks one file's header against its manifest record and, with {@code structure}, its
     * structure as {@link #structure} does, opening the file once: the first problem throws.
     */
    public static void verify(Path dir, DiskBackup d, boolean structure) throws IOException, ChainException {
        List<String> found = problems(dir, d, structure);
        if (!found.isEmpty()) {
            throw new ChainException(ErrorKind.CORRUPT, found.get(0));
        }
    }

    /**
     * Every problem of {@code d}'s file, each one line naming it, opening it once: missing, a
     * header that disagrees with the manifest (backing name, backing format, virtual size) and,
     * with {@code structure}, a structural problem. A file that cannot be opened as qcow2 at all
     * throws.
     */
    public static List<String> problems(Path dir, DiskBackup d, boolean structure) throws IOException {
        Path file = dir.resolve(d.file());
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return List.of(d.file() + " is missing from " + dir + " (the manifest lists it)");
        }
        try (Image image = Images.open(file.toString(), "qcow2", false)) {
            return problems(image, d, structure);
        }
    }

    /**
     * Every problem of {@code image}, the file of {@code d} opened as qcow2 without its backing
     * chain (from wherever it is: a bucket, say), as {@link #problems(Path, DiskBackup, boolean)}.
     */
    public static List<String> problems(Image image, DiskBackup d, boolean structure) throws IOException {
        List<String> found = new ArrayList<>();
        Qcow2Image q = (Qcow2Image) image;
        header(d, q.header(), image.virtualSize(), found);
        if (structure) {
            structure(d, q, found);
        }
        return found;
    }

    private static void header(DiskBackup d, Qcow2Header h, long size, List<String> found) {
        String linked = h.backingFile();
        if (d.backingFile() == null ? linked != null : !d.backingFile().equals(linked)) {
            found.add(d.file() + " links to " + describe(linked) + " in its qcow2 header, but the manifest"
                    + " says " + describe(d.backingFile()));
        } else if (linked != null && h.backingFormat() != null && !h.backingFormat().equals("qcow2")) {
            found.add(d.file() + " links to " + describe(linked) + " as format "
                    + Names.quote(h.backingFormat()) + ", but backup files are qcow2");
        }
        if (size != d.virtualSize()) {
            found.add(d.file() + " has virtual size " + size + " in its qcow2 header, but the manifest"
                    + " says " + d.virtualSize());
        }
    }

    /**
     * Checks that {@code d}'s file has the checksum the manifest records: a file cut short, with a
     * flipped bit or replaced by another backup's file of the same name fails here, whatever its
     * qcow2 structure says.
     */
    public static void checksum(Path dir, DiskBackup d) throws IOException, ChainException {
        checksum(dir, d, read -> { });
    }

    /** As {@link #checksum(Path, DiskBackup)}, telling {@code progress} the bytes of the file read so far. */
    public static void checksum(Path dir, DiskBackup d, LongConsumer progress) throws IOException, ChainException {
        Checksum recorded = d.checksum();
        if (!Checksum.COMPUTABLE.contains(recorded.algorithm())) {
            throw new ChainException(ErrorKind.UNSUPPORTED, d.file() + ": its checksum is " + recorded.algorithm()
                    + ", which cannot be computed here (" + String.join(", ", Checksum.COMPUTABLE) + ")");
        }
        Path file = dir.resolve(d.file());
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new ChainException(ErrorKind.CORRUPT, d.file() + " is missing from " + dir + " (the manifest lists it)");
        }
        Checksum actual = Checksum.of(recorded.algorithm(), file, progress);
        if (!actual.value().equals(recorded.value())) {
            throw new ChainException(ErrorKind.CORRUPT, d.file() + ": " + recorded.algorithm() + " is " + actual.value()
                    + ", the manifest says " + recorded.value() + ": the file is damaged or not the one backed up");
        }
    }

    /**
     * Checks the structure of {@code d}'s file, its metadata only (as {@code img check}, without
     * reading data): refcounts and tables must be clean, nothing leaked, and no data cluster may
     * lie past the end of the file.
     */
    public static void structure(Path dir, DiskBackup d) throws IOException, ChainException {
        try (Image image = Images.open(dir.resolve(d.file()).toString(), "qcow2", false)) {
            List<String> found = new ArrayList<>();
            structure(d, (Qcow2Image) image, found);
            if (!found.isEmpty()) {
                throw new ChainException(ErrorKind.CORRUPT, found.get(0));
            }
        }
    }

    private static void structure(DiskBackup d, Qcow2Image q, List<String> found) throws IOException {
        try {
            q.checkDataBounds(PastEnd.FAIL); // first: the check would count the same damage, less precisely
        } catch (ImageException e) {
            found.add(e.getMessage());
            return;
        }
        CheckResult c = Qcow2Check.check(q, line -> { });
        if (c.exitCode() != 0) {
            found.add(d.file() + ": structural check found " + c.corruptions() + " corruption(s), "
                    + c.leaks() + " leaked cluster(s)" + (c.failure() != null ? ", " + c.failure() : ""));
        }
    }

    private static String describe(String backing) {
        return backing == null ? "no backing file" : Names.quote(backing); // the header's name may hold any byte
    }
}
