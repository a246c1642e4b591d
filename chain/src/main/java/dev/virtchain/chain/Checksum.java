package dev.virtchain.chain;

import dev.virtchain.qcow2.read.WholeFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A checksum of one backup file: the algorithm's name and the digest in lower-case hex. Kept
 * generic so an algorithm can be added without a new manifest format.
 *
 * <ul>
 * <li>{@code crc32c}, the default for new backups: CRC-32C (Castagnoli, as iSCSI, ext4 and
 * btrfs use it), 8 hex digits, big-endian. The JDK computes it with the CPU's CRC32 instruction
 * at several GB/s, so summing a file costs little more than reading it from the page cache.
 * It finds what a backup meets on disk (flipped bits, torn or lost blocks, truncation), which
 * is what {@code verify} is for; it is no defence against someone who changes a file on
 * purpose.</li>
 * <li>{@code sha256} and {@code sha512}: cryptographic digests, for those who need one; the
 * JDK's SHA-256 runs at about 1 GB/s with SHA-NI, so it adds about 2 s to a 2 GiB full backup.</li>
 * </ul>
 */
public record Checksum(String algorithm, String value) {
    public static final String CRC32C = "crc32c";
    public static final String SHA256 = "sha256";
    /** What can be computed here, default first. */
    public static final List<String> COMPUTABLE = List.of(CRC32C, SHA256, "sha512");

    private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern HEX = Pattern.compile("([0-9a-f]{2}){1,128}");
    /** Our names to the JDK's; an algorithm not listed can be recorded and read, not computed. */
    private static final Map<String, String> JDK_NAMES = Map.of("sha256", "SHA-256", "sha512", "SHA-512");

    public Checksum {
        if (algorithm == null || !ALGORITHM.matcher(algorithm).matches()) {
            throw new IllegalArgumentException("checksum algorithm '" + algorithm + "' is not a name (a-z, 0-9, -)");
        }
        if (value == null || !HEX.matcher(value).matches()) {
            throw new IllegalArgumentException("checksum value '" + value + "' is not lower-case hex");
        }
    }

    /** The sha256 of {@code file}. */
    public static Checksum sha256(Path file) throws IOException {
        return of(SHA256, file);
    }

    /** The checksum of {@code file} with {@code algorithm}, one of {@link #COMPUTABLE}. */
    public static Checksum of(String algorithm, Path file) throws IOException {
        return of(algorithm, file, read -> { });
    }

    /** As {@link #of(String, Path)}, telling {@code progress} the bytes read so far after each chunk. */
    public static Checksum of(String algorithm, Path file, LongConsumer progress) throws IOException {
        if (algorithm.equals(CRC32C)) {
            CRC32C crc = new CRC32C();
            read(file, crc::update, progress);
            return new Checksum(algorithm, String.format("%08x", crc.getValue()));
        }
        MessageDigest digest = digest(algorithm);
        read(file, digest::update, progress);
        return new Checksum(algorithm, HexFormat.of().formatHex(digest.digest()));
    }

    /**
     * A checksum computed over bytes handed in order (a file read for an upload, say), for one of
     * {@link #COMPUTABLE}.
     */
    public static Running running(String algorithm) {
        if (algorithm.equals(CRC32C)) {
            CRC32C crc = new CRC32C();
            return new Running(crc::update, () -> new Checksum(algorithm, String.format("%08x", crc.getValue())));
        }
        MessageDigest digest = digest(algorithm);
        return new Running(digest::update, () -> new Checksum(algorithm, HexFormat.of().formatHex(digest.digest())));
    }

    /** See {@link #running}: {@link #update} with every byte in order, then {@link #value} once. */
    public static final class Running {
        private final Consumer<ByteBuffer> sink;
        private final java.util.function.Supplier<Checksum> result;

        private Running(Consumer<ByteBuffer> sink, java.util.function.Supplier<Checksum> result) {
            this.sink = sink;
            this.result = result;
        }

        /** Adds {@code chunk}'s remaining bytes (consuming them). */
        public void update(ByteBuffer chunk) {
            sink.accept(chunk);
        }

        /** The checksum of all bytes given. */
        public Checksum value() {
            return result.get();
        }
    }

    /** Hands every byte of {@code file}, in order, to {@code sink}; see {@link WholeFile}. */
    private static void read(Path file, Consumer<ByteBuffer> sink, LongConsumer progress) throws IOException {
        long[] done = {0};
        WholeFile.read(file, chunk -> {
            done[0] += chunk.remaining();
            sink.accept(chunk);
            progress.accept(done[0]);
        });
    }

    private static MessageDigest digest(String algorithm) {
        String jdk = JDK_NAMES.get(algorithm);
        if (jdk == null) {
            throw new IllegalArgumentException("checksum algorithm '" + algorithm
                    + "' cannot be computed here (" + String.join(", ", COMPUTABLE) + ")");
        }
        try {
            return MessageDigest.getInstance(jdk);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jdk + " is missing from this JDK", e);
        }
    }
}
