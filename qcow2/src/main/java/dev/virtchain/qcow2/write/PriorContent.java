package dev.virtchain.qcow2.write;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.format.CompressedCluster;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.Positional;
import dev.virtchain.qcow2.read.Decompressor;
import dev.virtchain.qcow2.read.Images;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * What the guest saw in a cluster before a write into part of it, which the writer keeps around
 * the new data: the backing chain's content where the image holds no cluster (the chain opened
 * on first use), or a compressed cluster's, inflated.
 */
final class PriorContent implements Closeable {
    private final String name;
    private final FileChannel ch;
    private final Qcow2Header header;
    private Image below;
    private boolean belowOpened;

    PriorContent(String name, FileChannel ch, Qcow2Header h) {
        this.name = name;
        this.ch = ch;
        this.header = h;
    }

    /** Fills {@code dst} with what the backing chain shows at {@code guest} (zeros without one). */
    void readBelow(long guest, ByteBuffer dst) throws IOException {
        if (!belowOpened) {
            belowOpened = true;
            if (header.backingFile() != null) {
                below = Images.open(Images.resolve(name, header.backingFile()), header.backingFormat(), true);
            }
        }
        Images.readBelow(below, guest, dst);
    }

    /** The cluster that the compressed L2 entry {@code entry}, mapping {@code guest}, describes. */
    byte[] decompress(long entry, long guest) throws IOException {
        CompressedCluster cc = CompressedCluster.of(entry, header.clusterBits());
        ByteBuffer src = ByteBuffer.allocate(cc.size());
        Positional.readZeroPadded(ch, src, cc.offset());
        byte[] out = new byte[(int) header.clusterSize()];
        try (Decompressor d = new Decompressor(header.compressionType())) {
            String problem = d.decompress(src.array(), src.position(), out);
            if (problem != null) {
                throw new ImageException(ErrorKind.CORRUPT, name, "compressed cluster for guest offset " + hex(guest)
                        + ": " + problem);
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        if (below != null) {
            below.close();
        }
    }
}
