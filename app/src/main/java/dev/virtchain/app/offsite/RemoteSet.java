package dev.virtchain.app.offsite;

import dev.virtchain.chain.ChainException;
import dev.virtchain.chain.ChainVerifier;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.DiskChain;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.chain.RestorePoint;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.read.Images;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A set pushed to a bucket, as read commands see it: its manifest (the remote commit point), the
 * objects listed beside it, and what push recorded of them. The qcow2 files are read in place by
 * ranges ({@link RemoteFiles}); the small side files (domain XML, boot files) are fetched into a
 * local directory, which then serves as the set's directory for the code that reads them.
 */
public final class RemoteSet implements AutoCloseable {
    private final Bucket bucket;
    private final Map<String, Bucket.ObjectInfo> objects;
    private final byte[] manifestBytes;
    private final Manifest manifest;
    private final RemoteIndex index;
    private final RemoteFiles files;

    private RemoteSet(Bucket bucket, Map<String, Bucket.ObjectInfo> objects, byte[] manifestBytes, Manifest manifest,
            RemoteIndex index) {
        this.bucket = bucket;
        this.objects = objects;
        this.manifestBytes = manifestBytes;
        this.manifest = manifest;
        this.index = index;
        this.files = new RemoteFiles(bucket, objects);
    }

    /** Opens the set at {@code url}; fails with one line when there is none or it cannot be reached. */
    public static RemoteSet open(String url, RemoteOptions options) throws IOException, ChainException {
        Bucket bucket = Bucket.open(S3Location.parse(url), options);
        try {
            Map<String, Bucket.ObjectInfo> objects = bucket.list();
            if (!objects.containsKey(Naming.MANIFEST)) {
                throw new OffsiteException(ErrorKind.NOT_FOUND, bucket.object(Naming.MANIFEST) + " does not exist: no set "
                        + "was pushed to " + bucket.location() + " (or its first push has not finished)");
            }
            byte[] bytes = bucket.get(Naming.MANIFEST, 64L << 20);
            Manifest m = ManifestFile.decode(bucket.object(Naming.MANIFEST), bytes);
            return new RemoteSet(bucket, objects, bytes, m, RemoteIndex.read(bucket));
        } catch (IOException | ChainException | RuntimeException e) {
            bucket.close();
            throw e;
        }
    }

    public Manifest manifest() {
        return manifest;
    }

    public String url() {
        return bucket.location().toString();
    }

    /** The qcow2 files, read by ranges. */
    public RemoteFiles files() {
        return files;
    }

    /**
     * Opens the chain whose top is {@code top}, every file read from the bucket, for a flatten:
     * what the flatten will read is fetched ahead (see {@link RemoteFiles#planFlatten}).
     */
    public Image openChain(String top, PastEnd pastEnd) throws IOException {
        Image image = Images.open(top, "qcow2", true, pastEnd, files.opener());
        try {
            files.planFlatten(image);
            return image;
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }

    /**
     * Writes the manifest and every file of the set that is no qcow2 image into {@code dir}: what
     * restore reads besides the chains (domain XML, checkpoints, boot files).
     */
    public void fetchSideFiles(Path dir) throws IOException {
        Files.createDirectories(dir.resolve(Bucket.CHECKPOINTS));
        Files.write(dir.resolve(Naming.MANIFEST), manifestBytes);
        for (String name : objects.keySet()) {
            if (LocalSet.isSetFile(name) && !name.endsWith(".qcow2")) {
                fetch(name, dir.resolve(name));
            }
        }
    }

    /**
     * The names of the set's files besides the manifest: every one, or with {@code images} given,
     * only those of its qcow2 files and every other file (the small side files).
     */
    public List<String> fileNames(java.util.Set<String> images) {
        List<String> out = new ArrayList<>();
        for (String name : objects.keySet()) {
            if (LocalSet.isSetFile(name) && (images == null || !name.endsWith(".qcow2") || images.contains(name))) {
                out.add(name);
            }
        }
        return out;
    }

    /** The bytes of the objects of {@code names}. */
    public long bytes(List<String> names) {
        return names.stream().mapToLong(n -> objects.get(n).size()).sum();
    }

    /** Copies object {@code name} into {@code file}, which must not exist. */
    public void fetch(String name, Path file) throws IOException {
        bucket.download(name, in -> {
            try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE_NEW)) {
                in.transferTo(out);
            }
        });
    }

    /** Every problem of the files the point reads, as {@code verify} words them for a directory. */
    public List<String> problems(DiskBackup d, boolean structure) throws IOException {
        List<String> found = new ArrayList<>(stored(d));
        if (!objects.containsKey(d.file())) {
            return found;
        }
        try (Image image = Images.open(d.file(), "qcow2", false, PastEnd.ZEROS, files.opener())) {
            found.addAll(ChainVerifier.problems(image, d, structure));
        }
        return found;
    }

    /** Checks the headers of every file {@code point} reads against the manifest, by ranged reads. */
    public void verifyLinks(RestorePoint point) throws IOException, ChainException {
        for (DiskChain c : point.disks()) {
            for (DiskBackup d : c.layers()) {
                List<String> found = problems(d, false);
                if (!found.isEmpty()) {
                    throw new ChainException(ErrorKind.CORRUPT, found.get(0));
                }
            }
        }
    }

    /**
     * What is wrong with the object of {@code d} without reading it: missing, or not what push
     * sent. The server computed the object's ETag from the bytes it received (the MD5 of each
     * part); push recorded that ETag beside the checksum it computed of the same bytes, which must
     * be the manifest's. An object replaced or changed since has another ETag or size.
     */
    public List<String> stored(DiskBackup d) {
        Bucket.ObjectInfo o = objects.get(d.file());
        if (o == null) {
            return List.of(d.file() + " is missing from " + url() + " (the manifest lists it)");
        }
        RemoteIndex.Entry e = index.files().get(d.file());
        String want = d.checksum().algorithm() + ":" + d.checksum().value();
        if (e == null) {
            return List.of(d.file() + " in " + url() + " was not written by virtchain push (no record of it in "
                    + RemoteIndex.NAME + ")");
        }
        if (!want.equals(e.checksum())) {
            return List.of(d.file() + " in " + url() + " was pushed with checksum " + e.checksum() + ", the manifest says "
                    + want);
        }
        if (o.size() != e.size() || !o.etag().equals(e.etag())) {
            return List.of(d.file() + " in " + url() + " changed after it was pushed (size " + o.size() + ", ETag "
                    + o.etag() + "; push wrote " + e.size() + " bytes, ETag " + e.etag() + "): it is damaged");
        }
        return List.of();
    }

    /** Throws on the first problem {@link #stored} finds in {@code files}. */
    public void checkStored(List<DiskBackup> layers) throws ChainException {
        for (DiskBackup d : layers) {
            List<String> found = stored(d);
            if (!found.isEmpty()) {
                throw new ChainException(ErrorKind.CORRUPT, found.get(0));
            }
        }
    }

    /** Deletes a directory {@link #fetchSideFiles} filled. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        files.close();
        bucket.close();
    }
}
