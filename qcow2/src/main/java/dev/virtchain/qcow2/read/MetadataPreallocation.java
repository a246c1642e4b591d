package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.ImageFile;
import java.io.IOException;

/**
 * Whether an image looks metadata-preallocated, by qemu's heuristic: far more clusters carry a
 * refcount than the file has blocks on disk. qemu then asks the file system about each data
 * cluster, so holes under allocated clusters map as zero; {@link Qcow2Image#status} does the same.
 */
final class MetadataPreallocation {
    private MetadataPreallocation() {
    }

    /**
     * qemu's rule: with {@code real} clusters' worth of blocks on disk, the image counts as
     * preallocated once {@code max(real * 10 / 9, real + 2)} clusters of the file have a
     * nonzero refcount. A refcount structure that cannot be read means "no", as in qemu.
     */
    static boolean detect(ImageFile file, Qcow2Header h) {
        long cs = h.clusterSize();
        long realClusters = file.allocatedBytes() / cs;
        long threshold = Math.max(realClusters * 10 / 9, realClusters + 2);
        long fileLength = (file.size() + 511) & ~511L;
        long endCluster = (fileLength + cs - 1) / cs;
        try {
            OnDiskRefcounts refcounts = new OnDiskRefcounts(file, h);
            long count = 0;
            for (long i = 0; i < endCluster && count < threshold; i++) {
                if (refcounts.unaligned(i)) {
                    return false; // qemu cannot read such a block and gives up on the heuristic
                }
                if (refcounts.get(i) != 0) {
                    count++;
                }
            }
            return count >= threshold;
        } catch (IOException e) {
            return false;
        }
    }
}
