package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.io.NativeFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A raw image: guest offset equals file offset; holes read as zero. */
final class RawImage implements Image {
    private final ImageFile file;
    private final long virtualSize;
    private NativeFiles.Holes holes;

    RawImage(ImageFile file) {
        this.file = file;
        // qemu counts a raw file in whole 512-byte sectors, the last one padded with zeros.
        this.virtualSize = (file.size() + 511) & ~511L;
    }

    @Override
    public String filename() {
        return file.name();
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public String format() {
        return "raw";
    }

    @Override
    public long virtualSize() {
        return virtualSize;
    }

    @Override
    public Image backing() {
        return null;
    }

    @Override
    public long allocatedBytes() {
        return file.allocatedBytes();
    }

    @Override
    public void preferDirectReads() {
        file.preferDirectReads();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        file.readZeroPadded(offset, dst);
    }

    @Override
    public LayerStatus status(long offset, long length) {
        if (holes == null) {
            holes = NativeFiles.Holes.open(file.path(), file.size());
        }
        NativeFiles.Extent e = holes.extentAt(offset, length);
        return new LayerStatus(e.length(), e.data(), !e.data(), offset);
    }

    @Override
    public void close() throws IOException {
        if (holes != null) {
            holes.close();
        }
        file.close();
    }
}
