package dev.virtchain.qcow2.write;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.CrcTrackingChannel;
import dev.virtchain.qcow2.io.RunningCrc32c;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file a {@link Qcow2Writer} writes: created as qemu-img create creates one, or opened once
 * its header shows nothing virtchain does not write, with the tables the writer starts from.
 */
final class WritableFile {
    private WritableFile() {
    }

    /** See {@link Qcow2Writer#create}. */
    static Qcow2Writer create(Path path, CreateOptions o) throws IOException {
        String name = path.toString();
        o.check(name);
        ByteBuffer header = HeaderEncoder.encode(name, o);
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new ImageException(ErrorKind.CONFLICT, name, "already exists");
        }
        try {
            HeaderEncoder.writeEmptyImage(ch, header, o);
            ch.force(true);
            Qcow2Writer w = open(name, ch);
            w.grow(o.size());
            w.flush();
            return w;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** See {@link Qcow2Writer#open(Path, RunningCrc32c)}. */
    static Qcow2Writer open(Path path, RunningCrc32c crc) throws IOException {
        FileChannel plain = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel ch = crc == null ? plain : new CrcTrackingChannel(plain, plain, crc);
        try {
            Qcow2Writer w = open(path.toString(), ch);
            w.track(crc);
            return w;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Qcow2Writer open(String name, FileChannel ch) throws IOException {
        Qcow2Header h = HeaderEncoder.readForWriting(name, ch);
        if (h.dirty()) {
            throw new ImageException(ErrorKind.CONFLICT, name,
                    "image is dirty (its lazy refcounts were never written back); "
                    + "repair it with 'qemu-img check -r all' before writing to it");
        }
        if (h.lazyRefcounts()) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name,
                    "image uses lazy refcounts, which virtchain does not write");
        }
        if (h.nbSnapshots() > 0) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name, "image has " + h.nbSnapshots()
                    + " internal snapshot(s); virtchain does not write to images with internal snapshots");
        }
        if (h.hasDataFile()) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name,
                    "image has an external data file; virtchain does not write to those");
        }
        if (h.bitmapsValid() && h.bitmaps().count() > 0) {
            throw new ImageException(ErrorKind.UNSUPPORTED, name,
                    "image has persistent bitmaps; virtchain does not write to it "
                    + "(writing would leave the bitmaps stale)");
        }
        DirtyTable l1 = DirtyTable.read(ch, h.l1TableOffset(), h.l1Size());
        DirtyTable reftable = DirtyTable.read(ch, h.refcountTableOffset(),
                (int) ((long) h.refcountTableClusters() * h.clusterSize() / 8));
        return new Qcow2Writer(name, ch, h, l1, reftable, ch.size());
    }
}
