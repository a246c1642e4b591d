package dev.virtchain.qcow2.io;

import java.util.OptionalInt;

/**
 * The CRC-32C of a whole file, kept up to date while the file is changed, without reading the
 * file again: a prune commits a few hundred MiB into a backup file of many GiB, and reading all of
 * it once more only to checksum it would cost more than the commit. It starts from the file's
 * checksum and length as they are now, and is told of every change: bytes overwritten (with the
 * CRC-32C of what they held and of what they hold now), the file grown with zeros, the file cut
 * (with the CRC-32C of what was cut off). See {@link Crc32cAlgebra} for why that is enough.
 * {@link CrcTrackingChannel} tells it of a channel's writes.
 *
 * <p>A change it cannot follow (a range filled by the file system, say) makes it {@link #lose}
 * track; {@link #value} is then empty and the caller reads the file. The result is only as right
 * as the starting checksum: if the file did not match it, the new value does not match the new
 * file either, so damage that was there before stays visible to a later check.
 */
public final class RunningCrc32c {
    /** The bare register of the file as it is now (see {@link Crc32cAlgebra}). */
    private int register;
    private long length;
    private boolean lost;

    private RunningCrc32c(int register, long length) {
        this.register = register;
        this.length = length;
    }

    /** Tracks a file of {@code length} bytes whose CRC-32C is {@code crc}. */
    public static RunningCrc32c of(int crc, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return new RunningCrc32c(Crc32cAlgebra.register(crc, length), length);
    }

    /** The file's length as far as this knows. */
    public synchronized long length() {
        return length;
    }

    /** The file grows to {@code newLength} with zeros; nothing happens when it is that long already. */
    public synchronized void extendTo(long newLength) {
        if (newLength > length) {
            register = Crc32cAlgebra.appendZeros(register, newLength - length);
            length = newLength;
        }
    }

    /**
     * The {@code bytes} bytes at {@code pos}, which lie inside the file, whose CRC-32C was
     * {@code oldCrc}, now have the CRC-32C {@code newCrc}.
     */
    public synchronized void overwrite(long pos, long bytes, int oldCrc, int newCrc) {
        if (pos < 0 || bytes < 0 || pos + bytes > length) {
            throw new IllegalArgumentException("overwrite of " + bytes + " bytes at " + pos
                    + " outside a file of " + length);
        }
        // Same length, so the bare registers' difference is the standard CRCs' difference.
        register ^= Crc32cAlgebra.appendZeros(oldCrc ^ newCrc, length - pos - bytes);
    }

    /** The file is cut to {@code newLength}; the bytes cut off had the CRC-32C {@code cutCrc}. */
    public synchronized void cutTo(long newLength, int cutCrc) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cut to " + newLength + " of a file of " + length);
        }
        long cut = length - newLength;
        register = Crc32cAlgebra.removeZeros(register ^ Crc32cAlgebra.register(cutCrc, cut), cut);
        length = newLength;
    }

    /** The file changed in a way this cannot follow. */
    public synchronized void lose() {
        lost = true;
    }

    /** The file's CRC-32C now, or empty when this lost track. */
    public synchronized OptionalInt value() {
        return lost ? OptionalInt.empty() : OptionalInt.of(Crc32cAlgebra.crc(register, length));
    }
}
