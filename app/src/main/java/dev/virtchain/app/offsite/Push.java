package dev.virtchain.app.offsite;

import dev.virtchain.app.offsite.LocalSet.LocalFile;
import dev.virtchain.app.offsite.RemoteIndex.Entry;
import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.ManifestFile;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies a local set to object storage so that the remote set is valid at every moment: the
 * files the remote lacks first (each checked against the manifest's checksum as it is read, and
 * by the server against the MD5 of every part), then the index, then the manifest, the remote
 * commit point. Until the manifest is up, the old remote manifest names only objects that are
 * still there; files of pruned points are deleted only after the new manifest, and only when
 * asked. An interrupted push leaves its multipart uploads open; the next one sends only the
 * parts that are missing.
 */
public final class Push {
    /** What one push did. */
    public record Result(int filesSent, long bytesSent, int filesUnchanged, long bytesUnchanged, long bytesResumed,
            List<String> pruned, boolean prunedDeleted, long millis) {
    }

    private final Bucket bucket;
    private final Path dir;
    private final int parallel;
    private final Progress progress;

    public Push(Bucket bucket, Path dir, int parallel, Progress progress) {
        this.bucket = bucket;
        this.dir = dir;
        this.parallel = parallel;
        this.progress = progress;
    }

    /** Pushes the set; with {@code deletePruned} removes remote files the local set no longer has. */
    public Result run(boolean deletePruned) throws IOException, dev.virtchain.chain.ChainException {
        long start = System.nanoTime();
        // The manifest is read once: its bytes are what goes up last, and it says what is checked.
        Path manifestFile = dir.resolve(Naming.MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new OffsiteException(ErrorKind.NOT_FOUND, manifestFile + " does not exist: is " + dir
                    + " a virtchain backup directory?");
        }
        byte[] manifestBytes = Files.readAllBytes(manifestFile);
        Manifest manifest = ManifestFile.decode(manifestFile.toString(), manifestBytes);
        Map<String, Checksum> expected = checksums(manifest);
        Map<String, LocalFile> local = LocalSet.files(dir);
        for (String named : expected.keySet()) {
            if (!local.containsKey(named)) {
                throw new OffsiteException(ErrorKind.CORRUPT, dir.resolve(named) + " is missing (the manifest lists it): "
                        + "nothing pushed");
            }
        }

        Map<String, Bucket.ObjectInfo> remote = bucket.list();
        RemoteIndex index = RemoteIndex.read(bucket);
        Map<String, Entry> entries = new TreeMap<>(index.files());
        entries.keySet().retainAll(remote.keySet()); // what is no longer there is no longer known
        List<LocalFile> send = new ArrayList<>();
        long unchangedBytes = 0;
        int unchanged = 0;
        for (LocalFile f : local.values()) {
            if (isUpToDate(f, entries.get(f.name()), remote.get(f.name()))) {
                unchanged++;
                unchangedBytes += f.size();
            } else {
                send.add(f);
            }
        }
        long total = send.stream().mapToLong(LocalFile::size).sum();
        AtomicLong done = new AtomicLong();
        Progress meter = (d, t) -> progress.update(d, t);
        long resumed = 0;
        Map<String, String> open = send.isEmpty() ? Map.of() : bucket.unfinishedUploads();
        try (Uploader up = new Uploader(bucket, parallel, bytes -> meter.update(done.addAndGet(bytes), total))) {
            for (LocalFile f : send) {
                Uploader.Sent s = up.send(f, expected.get(f.name()), open.get(f.name()));
                resumed += s.resumedBytes();
                entries.put(f.name(), new Entry(f.size(), f.mtime(), s.etag(), s.checksum().algorithm() + ":"
                        + s.checksum().value()));
            }
        }
        meter.update(total, total);

        List<String> pruned = new ArrayList<>();
        for (String name : remote.keySet()) {
            if (LocalSet.isSetFile(name) && !local.containsKey(name)) {
                pruned.add(name);
            }
        }
        new RemoteIndex(entries).write(bucket);
        bucket.put(Naming.MANIFEST, manifestBytes, Map.of()); // the commit point
        if (deletePruned && !pruned.isEmpty()) {
            bucket.delete(pruned);
            entries.keySet().removeAll(pruned);
            new RemoteIndex(entries).write(bucket);
        }
        // Uploads a killed push left for files that are now whole, or gone, are dropped.
        for (Map.Entry<String, String> u : bucket.unfinishedUploads().entrySet()) {
            bucket.abortUpload(u.getKey(), u.getValue());
        }
        return new Result(send.size(), total, unchanged, unchangedBytes, resumed, pruned, deletePruned,
                (System.nanoTime() - start) / 1_000_000);
    }

    /** A file need not be sent when its object is the one push wrote of this very local file. */
    private static boolean isUpToDate(LocalFile f, Entry sent, Bucket.ObjectInfo object) {
        return sent != null && object != null && sent.size() == f.size() && sent.mtime() == f.mtime()
                && object.size() == f.size() && sent.etag().equals(object.etag());
    }

    /** The checksum the manifest records of each file it names. */
    static Map<String, Checksum> checksums(Manifest m) {
        Map<String, Checksum> out = new TreeMap<>();
        for (Backup b : m.backups()) {
            for (DiskBackup d : b.disks()) {
                out.put(d.file(), d.checksum());
            }
        }
        return out;
    }
}
