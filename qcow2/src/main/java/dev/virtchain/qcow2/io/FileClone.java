package dev.virtchain.qcow2.io;

import static dev.virtchain.qcow2.ImageException.hex;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Clones extents with Linux's {@code FICLONERANGE} ioctl, which makes the destination range share
 * the source's blocks on file systems that support it (XFS with reflink=1, btrfs). Each file is
 * opened once, on first use, and stays open until {@link #close}.
 */
public final class FileClone implements ExtentCloner {
    /** {@code _IOW(0x94, 13, struct file_clone_range)}: the same number on x86_64 and aarch64. */
    private static final long FICLONERANGE = 0x4020940DL;
    /** {@code struct file_clone_range { s64 src_fd; u64 src_offset, src_length, dest_offset; }}. */
    private static final int ARG_SIZE = 32;
    // Errors that mean "these files cannot share extents here", not that anything went wrong.
    private static final int EPERM = 1;
    private static final int EBADF = 9;
    private static final int EXDEV = 18;
    private static final int EINVAL = 22;
    private static final int ENOTTY = 25;
    private static final int ETXTBSY = 26;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

    private final Path destination;
    private final List<Path> sources;
    private final int[] sourceFds;
    private final Memory arg = new Memory(ARG_SIZE);
    private int destinationFd = -1;

    private FileClone(Path destination, List<Path> sources) {
        this.destination = destination;
        this.sources = sources;
        this.sourceFds = new int[sources.size()];
        Arrays.fill(sourceFds, -1);
    }

    public static FileClone open(Path destination, List<Path> sources) {
        return new FileClone(destination, List.copyOf(sources));
    }

    @Override
    public boolean clone(int source, long sourceOffset, long length, long destinationOffset) throws IOException {
        NativeFiles.LibC c = NativeFiles.libc();
        if (c == null) {
            return false;
        }
        try {
            if (destinationFd < 0) {
                destinationFd = c.open(destination.toString(), NativeFiles.O_WRONLY | NativeFiles.O_CLOEXEC);
            }
            if (sourceFds[source] < 0) {
                sourceFds[source] = c.open(sources.get(source).toString(), NativeFiles.O_RDONLY | NativeFiles.O_CLOEXEC);
            }
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false; // the copy path opens the files its own way and reports what is wrong
        }
        arg.setLong(0, sourceFds[source]);
        arg.setLong(8, sourceOffset);
        arg.setLong(16, length);
        arg.setLong(24, destinationOffset);
        try {
            c.ioctl(destinationFd, FICLONERANGE, arg);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        } catch (LastErrorException e) {
            if (cannotShare(e.getErrorCode())) {
                return false;
            }
            throw new ImageException(ErrorKind.IO, destination.toString(), "cloning " + length + " bytes at "
                    + hex(sourceOffset)
                    + " of " + sources.get(source) + " to " + hex(destinationOffset) + " failed: " + e.getMessage(), e);
        }
    }

    /** EINVAL too: with our aligned, in-file ranges it means an unsupported block size or file type. */
    private static boolean cannotShare(int errno) {
        return errno == EXDEV || errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTTY || errno == EPERM
                || errno == ETXTBSY || errno == EBADF || errno == ENOSYS;
    }

    @Override
    public void close() {
        NativeFiles.LibC c = NativeFiles.libc();
        if (c == null) {
            return;
        }
        closeQuietly(c, destinationFd);
        for (int fd : sourceFds) {
            closeQuietly(c, fd);
        }
        arg.close();
    }

    private static void closeQuietly(NativeFiles.LibC c, int fd) {
        if (fd >= 0) {
            try {
                c.close(fd);
            } catch (LastErrorException e) {
                // Cloning changes no data through these descriptors; the writer's own fsync counts.
            }
        }
    }
}
