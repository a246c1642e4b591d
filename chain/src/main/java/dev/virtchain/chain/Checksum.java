package dev.virtchain.chain;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A checksum of one backup file: the algorithm's name ({@code sha256}, ...) and the digest in
 * lower-case hex. Kept generic so a faster algorithm can be added without a new manifest format.
 */
public record Checksum(String algorithm, String value) {
    public static final String SHA256 = "sha256";

    private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final Pattern HEX = Pattern.compile("([0-9a-f]{2}){1,128}");
    /** Our names to the JDK's; an algorithm not listed can be recorded and read, not computed. */
    private static final Map<String, String> JDK_NAMES = Map.of("sha256", "SHA-256", "sha512", "SHA-512");
    private static final int CHUNK = 1 << 20;

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

    /** The checksum of {@code file} with {@code algorithm} ({@code sha256} or {@code sha512}). */
    public static Checksum of(String algorithm, Path file) throws IOException {
        MessageDigest digest = digest(algorithm);
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            for (int n; (n = ch.read(buf, pos)) >= 0; ) {
                pos += n;
                buf.flip();
                digest.update(buf);
                buf.clear();
            }
        }
        return new Checksum(algorithm, HexFormat.of().formatHex(digest.digest()));
    }

    private static MessageDigest digest(String algorithm) {
        String jdk = JDK_NAMES.get(algorithm);
        if (jdk == null) {
            throw new IllegalArgumentException("checksum algorithm '" + algorithm
                    + "' cannot be computed here (sha256 or sha512)");
        }
        try {
            return MessageDigest.getInstance(jdk);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jdk + " is missing from this JDK", e);
        }
    }
}
