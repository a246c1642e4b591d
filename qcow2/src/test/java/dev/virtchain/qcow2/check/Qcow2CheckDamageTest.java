package dev.virtchain.qcow2.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtchain.qcow2.testing.Qemu;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One random byte of metadata overwritten, many times over (fixed seed): whatever the damage,
 * our verdict equals qemu-img check's, line for line. The header cluster is left alone: what
 * opens at all is the header validation's business.
 */
class Qcow2CheckDamageTest {
    @TempDir
    Path dir;

    @Test
    void random_damage_to_metadata_gets_qemu_img_checks_verdict() throws Exception {
        // 512 B clusters with 8-bit refcounts: metadata is dense, most damage hits something.
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=8", "base.qcow2", "2M");
        Qemu.img(dir, "bitmap", "--add", "base.qcow2", "b0");
        Qemu.io(dir, "-c", "write -P 1 0 8k", "-c", "write -c -P 2 1M 512", "-c", "write -z 1536k 2k", "base.qcow2");
        Qemu.img(dir, "snapshot", "-c", "s1", "base.qcow2");
        Qemu.io(dir, "-c", "write -P 3 0 1k", "-c", "write -P 3 600k 1k", "base.qcow2");
        byte[] base = Files.readAllBytes(dir.resolve("base.qcow2"));
        Random random = new Random(5);
        Path image = dir.resolve("damaged.qcow2");
        int broken = 0;
        for (int round = 0; round < 60; round++) {
            Files.copy(dir.resolve("base.qcow2"), image, StandardCopyOption.REPLACE_EXISTING);
            long offset;
            do {
                offset = 512 + random.nextInt(base.length - 512);
            } while (base[(int) offset] == 1 || base[(int) offset] == 3); // guest data, not metadata
            byte value = (byte) random.nextInt(256);
            try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {value}), offset);
            }
            CheckOracle qemu = CheckOracle.qemu(image);
            assertEquals(qemu, CheckOracle.ours(image), "byte at 0x" + Long.toHexString(offset) + " set to " + value);
            broken += qemu.exitCode() != 0 ? 1 : 0;
        }
        // Guard against a harmless fuzzer: a good share of the rounds must break something.
        assertEquals(true, broken >= 10, broken + " of 60 damaged images were found broken");
    }
}
