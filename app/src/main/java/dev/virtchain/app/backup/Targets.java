package dev.virtchain.app.backup;

import dev.virtchain.app.cli.Futures;
import dev.virtchain.app.cli.Trace;
import dev.virtchain.chain.BackupPlan;
import dev.virtchain.chain.Checksum;
import dev.virtchain.chain.DiskBackup;
import dev.virtchain.chain.PlannedDisk;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.io.DurableFiles;
import dev.virtchain.qcow2.io.NativeFiles;
import dev.virtchain.qcow2.read.ChainMap;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The backup files of one run: created empty under their {@code .partial} names with the
 * planned backing links before the job starts, finished (fsync, checksum, rename, read-only)
 * after it succeeds, or deleted when it fails.
 */
final class Targets {
    private final Path dir;
    private final BackupPlan plan;

    Targets(Path dir, BackupPlan plan) {
        this.dir = dir;
        this.plan = plan;
    }

    Path partial(PlannedDisk d) {
        return dir.resolve(d.partialFile());
    }

    /**
     * {@code e}, met while writing or finishing disk {@code d}'s target, as an error about the
     * backup file the run makes: the {@code .partial} name is the run's own business.
     */
    IOException about(PlannedDisk d, IOException e) {
        return ImageException.about(dir.resolve(d.file()).toString(), partial(d), e);
    }

    /** Creates every target: a qcow2 overlay of the disk's size now, linked to the parent's file (relative). */
    void create() throws IOException {
        for (PlannedDisk d : plan.disks()) {
            Path p = partial(d);
            Files.deleteIfExists(p); // left by a run that was killed
            CreateOptions o = CreateOptions.of(d.virtualSize());
            if (d.backingFile() != null) {
                o = o.withBacking(d.backingFile(), "qcow2");
            }
            try {
                Qcow2Writer.create(p, o).close();
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                throw about(d, e);
            }
        }
    }

    /**
     * Starts writing back what qemu has written into the targets so far, without waiting for it
     * (see {@link NativeFiles#startWriteback}). Called while the job runs, so that the fsync in
     * {@link #finish} waits only for the last part: qemu writes the targets through the page
     * cache, and the fsync of a 2 GiB full otherwise writes all of it after the job, about a second.
     */
    void startWriteback() {
        for (PlannedDisk d : plan.disks()) {
            NativeFiles.startWriteback(partial(d));
        }
    }

    /**
     * Makes the targets durable and final ({@link DurableFiles#publish}, read-only), and returns
     * what the manifest records of each, with its {@code algorithm} checksum. The fsync of every
     * target (waiting on the disk) runs beside the checksum of every target (the CPU), so the
     * slower of the two decides; the publish's own fsync then finds nothing left to write.
     */
    List<DiskBackup> finish(String algorithm) throws IOException {
        List<PlannedDisk> disks = plan.disks();
        ExecutorService pool = Executors.newFixedThreadPool(2 * disks.size(), r -> {
            Thread t = new Thread(r, "virtchain-finish");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Object>> synced = new ArrayList<>();
            List<Future<Checksum>> sums = new ArrayList<>();
            for (PlannedDisk d : disks) {
                Path p = partial(d);
                synced.add(pool.submit(() -> {
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                    return null;
                }));
                sums.add(pool.submit(() -> Checksum.of(algorithm, p)));
            }
            List<DiskBackup> done = new ArrayList<>();
            Trace.mark("run: finish started");
            for (int i = 0; i < disks.size(); i++) {
                PlannedDisk d = disks.get(i);
                Path p = partial(d);
                try {
                    long written = bytesWritten(p);
                    Checksum sum = Futures.await(sums.get(i), "interrupted while finishing the backup files");
                    Trace.mark("run: " + d.target() + " summed");
                    Futures.await(synced.get(i), "interrupted while finishing the backup files");
                    Trace.mark("run: " + d.target() + " synced");
                    // A finished backup is never written again; booting it goes through an overlay.
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--------"));
                    DurableFiles.publish(p, dir.resolve(d.file()), DurableFiles.IfExists.REPLACE);
                    done.add(d.done(written, sum));
                } catch (IOException e) {
                    throw about(d, e);
                }
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Deletes whatever this run created, under partial names and (when {@link #finish} got that far)
     * final ones: the manifest never named them, and the next run would otherwise meet them.
     */
    void discard() {
        for (PlannedDisk d : plan.disks()) {
            for (Path p : List.of(partial(d), dir.resolve(d.file()))) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: the next run deletes what is left (Leftovers)
                }
            }
        }
    }

    /** Guest data bytes this file holds itself (zero clusters and its backing file's data not counted). */
    static long bytesWritten(Path qcow2) throws IOException {
        long sum = 0;
        try (Image img = Images.open(qcow2.toString(), "qcow2", false)) {
            for (MapEntry e : ChainMap.map(img)) {
                if (e.depth() == 0 && e.data()) {
                    sum += e.length();
                }
            }
        }
        return sum;
    }
}
