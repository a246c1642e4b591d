package dev.virtchain.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Whether an image looks metadata-preallocated, by qemu's heuristic: far more clusters carry a
 * refcount than the file has blocks on disk. qemu then asks the file system about each data
 * cluster, so holes under allocated clusters map as zero; {@link Qcow2Image#status} does the same.
 */
final class MetadataPreallocation {
    private static final long REFT_OFFSET_MASK = 0xfffffffffffffe00L;

    private MetadataPreallocation() {
    }

    /**
     * qemu's rule: with {@code real} clusters' worth of blocks on disk, the image counts as
     * preallocated once {@code max(real * 10 / 9, real + 2)} clusters of the file have a
     * nonzero refcount. A refcount structure that cannot be read means "no", as in qemu.
     */
    static boolean detect(ImageFile file, Qcow2Header h) {
        long cs = h.clusterSize();
        long realClusters = NativeFiles.allocatedBytes(file.path()) / cs;
        long threshold = Math.max(realClusters * 10 / 9, realClusters + 2);
        long fileLength = (file.size() + 511) & ~511L;
        long endCluster = (fileLength + cs - 1) / cs;
        try {
            Refcounts refcounts = new Refcounts(file, h);
            long count = 0;
            for (long i = 0; i < endCluster && count < threshold; i++) {
                if (refcounts.nonzero(i)) {
                    count++;
                }
            }
            return count >= threshold;
        } catch (IOException e) {
            return false;
        }
    }

    /** Just enough of the refcount structure to tell used clusters from free ones. */
    private static final class Refcounts {
        private final ImageFile file;
        private final long clusterSize;
        private final int bits;
        private final long entriesPerBlock;
        private final long tableOffset;
        private final long tableEntries;
        private long blockIndex = -1;
        private ByteBuffer block;

        Refcounts(ImageFile file, Qcow2Header h) {
            this.file = file;
            this.clusterSize = h.clusterSize();
            this.bits = h.refcountBits();
            this.entriesPerBlock = clusterSize * 8 / bits;
            this.tableOffset = h.refcountTableOffset();
            this.tableEntries = Integer.toUnsignedLong(h.refcountTableClusters()) * clusterSize / 8;
        }

        boolean nonzero(long cluster) throws IOException {
            long index = cluster / entriesPerBlock;
            if (index >= tableEntries) {
                return false;
            }
            if (index != blockIndex) {
                long entry = file.read("refcount table entry", tableOffset + index * 8, 8).getLong();
                long offset = entry & REFT_OFFSET_MASK;
                block = offset == 0 ? null : file.read("refcount block", offset, (int) clusterSize);
                blockIndex = index;
            }
            if (block == null) {
                return false;
            }
            long i = cluster % entriesPerBlock;
            long bitOffset = i * bits;
            if (bits < 8) {
                // Sub-byte refcounts fill each byte from its least significant bit.
                int b = block.get((int) (bitOffset / 8)) & 0xff;
                return ((b >>> (bitOffset % 8)) & ((1 << bits) - 1)) != 0;
            }
            int bytes = bits / 8;
            int start = (int) (i * bytes);
            for (int k = 0; k < bytes; k++) {
                if (block.get(start + k) != 0) {
                    return true;
                }
            }
            return false;
        }
    }
}
