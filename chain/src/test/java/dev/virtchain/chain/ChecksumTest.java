package dev.virtchain.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumTest {
    @TempDir
    Path dir;

    private Path file(byte[] content) throws IOException {
        Path p = Files.createTempFile(dir, "sum", ".bin");
        Files.write(p, content);
        return p;
    }

    @Test
    void crc32cMatchesThePublishedCheckValue() throws IOException {
        // The "check" value of CRC-32C (the catalogue of parametrised CRC algorithms): "123456789".
        Path p = file("123456789".getBytes(StandardCharsets.US_ASCII));
        assertEquals(new Checksum("crc32c", "e3069283"), Checksum.of("crc32c", p));
    }

    @Test
    void crc32cMatchesTheIscsiTestVectors() throws IOException {
        // RFC 3720, B.4: 32 bytes of zeroes and 32 bytes of 0xff.
        assertEquals("8a9136aa", Checksum.of("crc32c", file(new byte[32])).value());
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        assertEquals("62a8ab43", Checksum.of("crc32c", file(ones)).value());
    }

    @Test
    void crc32cOfAnEmptyFileIsZero() throws IOException {
        assertEquals("00000000", Checksum.of("crc32c", file(new byte[0])).value());
    }

    @Test
    void aFileOfSeveralReadsSumsLikeOneBuffer() throws IOException {
        byte[] data = new byte[(5 << 20) + 12345]; // more than four 1 MiB reads and a partial one
        new Random(7).nextBytes(data);
        java.util.zip.CRC32C whole = new java.util.zip.CRC32C();
        whole.update(data);
        assertEquals(String.format("%08x", whole.getValue()), Checksum.of("crc32c", file(data)).value());
    }

    @Test
    void sha256MatchesCoreutils() throws Exception {
        byte[] data = new byte[(3 << 20) + 7];
        new Random(11).nextBytes(data);
        Path p = file(data);
        Process sha = new ProcessBuilder("sha256sum", p.toString()).redirectErrorStream(true).start();
        String out = new String(sha.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals(0, sha.waitFor());
        assertEquals(new Checksum("sha256", out.substring(0, 64)), Checksum.sha256(p));
    }

    @Test
    void anAlgorithmThatCannotBeComputedIsNamed() throws IOException {
        Path p = file(new byte[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checksum.of("md5", p));
        assertEquals("checksum algorithm 'md5' cannot be computed here (crc32c, sha256, sha512)", e.getMessage());
    }
}
