package dev.virtchain.qcow2.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.io.ExtentCloner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Stands in for the kernel's FICLONERANGE: a clone that succeeds copies the source bytes, which
 * is what a reflink makes the output read. The first {@code succeeding} calls succeed; every
 * later one does what {@link Then} says.
 */
final class CopyingCloner implements ExtentCloner.Factory {
    /** What a call after the succeeding ones does. */
    enum Then {
        /** Refuses: the files cannot share extents. */
        REFUSE,
        /** Clones the first half of its range (whole blocks) and then refuses, as the contract allows. */
        CLONE_PART_THEN_REFUSE,
        /** Fails with an I/O error. */
        FAIL
    }

    private final int succeeding;
    private final Then then;
    int calls;
    int clones;
    long bytes;

    CopyingCloner(int succeeding, Then then) {
        this.succeeding = succeeding;
        this.then = then;
    }

    /** Succeeds {@code refuseAfter} times, then refuses. */
    CopyingCloner(int refuseAfter) {
        this(refuseAfter, Then.REFUSE);
    }

    /** Never refuses. */
    static CopyingCloner always() {
        return new CopyingCloner(Integer.MAX_VALUE);
    }

    @Override
    public ExtentCloner open(Path destination, List<Path> sources) {
        return new ExtentCloner() {
            @Override
            public boolean clone(int source, long sourceOffset, long length, long destinationOffset)
                    throws IOException {
                calls++;
                assertEquals(0, (sourceOffset | length | destinationOffset) % 4096, "block aligned");
                if (clones < succeeding) {
                    copy(sources.get(source), sourceOffset, length, destination, destinationOffset);
                    clones++;
                    bytes += length;
                    return true;
                }
                switch (then) {
                    case FAIL -> throw new ImageException(destination.toString(), "cloning failed: Input/output error");
                    case CLONE_PART_THEN_REFUSE -> {
                        long part = length / 2 & ~4095L;
                        copy(sources.get(source), sourceOffset, part, destination, destinationOffset);
                    }
                    default -> {
                    }
                }
                return false;
            }

            @Override
            public void close() {
            }
        };
    }

    private static void copy(Path source, long sourceOffset, long length, Path destination, long destinationOffset)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) length);
        try (FileChannel in = FileChannel.open(source);
                FileChannel out = FileChannel.open(destination, StandardOpenOption.WRITE)) {
            assertTrue(sourceOffset + length <= in.size(), "within the source file");
            while (b.hasRemaining()) {
                in.read(b, sourceOffset + b.position());
            }
            b.flip();
            while (b.hasRemaining()) {
                out.write(b, destinationOffset + b.position());
            }
        }
    }
}
