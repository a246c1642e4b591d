package dev.virtchain.app.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.BackupSetFixture;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.chain.Checksum;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * restore and boot on damaged backup sets: each damage fails with one line naming the damaged
 * file, exit 1, and nothing under the output names. The set is {@link BackupSetFixture}'s;
 * point 2 reads {@code vda.0002.inc.qcow2 <- vda.0001.inc.qcow2 <- vda.0000.full.qcow2}.
 */
class RestoreDamageTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    private static final long L2E_OFFSET_MASK = 0x00fffffffffffe00L;
    private static final String INC = "vda.0001.inc.qcow2";
    private static final String FULL = "vda.0000.full.qcow2";

    @TempDir
    Path root;
    Path bk;
    Path out;

    @BeforeEach
    void backupDirectory() throws Exception {
        bk = Files.createDirectory(root.resolve("bk"));
        out = root.resolve("out");
        BackupSetFixture.write(bk, Checksum.CRC32C);
    }

    /** Restores point 2, with {@code extra} options; asserts the failure names {@code file} and leaves nothing. */
    private String restoreFails(String file, String... extra) throws IOException {
        CliDriver.Result r = CLI.run(Stream.concat(Stream.of("restore", bk.toString(), "-o", out.toString(),
                "--at", "2"), Stream.of(extra)).toArray(String[]::new));
        assertEquals(1, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stderr().startsWith("virtchain: ") && r.stderr().contains(file), r.stderr());
        assertEquals(1, r.stderr().lines().count(), "one line: " + r.stderr());
        assertFalse(r.stderr().contains("Exception"), r.stderr());
        assertTrue(!Files.exists(out) || listing(out).isEmpty(), "nothing restored: " + listing(out));
        return r.stderr();
    }

    private static List<String> listing(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Restores point 2 with {@code extra} options, which must succeed with a clean image. */
    private void restoreSucceeds(String... extra) {
        CliDriver.Result r = CLI.run(Stream.concat(Stream.of("restore", bk.toString(), "-o", out.toString(),
                "--at", "2"), Stream.of(extra)).toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.stderr());
        Qemu.assertClean(out.resolve("vda.qcow2"));
    }

    private void truncate(String file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(bk.resolve(file), StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private void flipBit(String file, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(bk.resolve(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            ch.write(b.clear(), offset);
        }
    }

    private long u64(String file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(bk.resolve(file), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, offset);
            return b.getLong(0);
        }
    }

    /** Where the L2 table of guest offset 0 lies (header field l1_table_offset at byte 40). */
    private long l2Table(String file) throws IOException {
        return u64(file, u64(file, 40)) & L2E_OFFSET_MASK;
    }

    /** Where the data of the 64 KiB cluster at {@code guest} lies (one L2 table covers 512 MiB here). */
    private long dataCluster(String file, long guest) throws IOException {
        return u64(file, l2Table(file) + 8 * (guest >> 16)) & L2E_OFFSET_MASK;
    }

    @ParameterizedTest(name = "checksums {0}")
    @ValueSource(booleans = {true, false})
    void anIncCutToHalfItsSizeFailsTheRestoreWithOrWithoutChecksums(boolean checksums) throws Exception {
        truncate(INC, Files.size(bk.resolve(INC)) / 2);
        String err = checksums ? restoreFails(INC) : restoreFails(INC, "--no-verify");
        if (!checksums) {
            assertTrue(err.contains("past end of file"), err);
        }
    }

    @Test
    void aFileCutAtADataClusterFailsNamingTheOffsetOfTheLostData() throws Exception {
        long ninth = dataCluster(INC, (1 << 20) + 8 * 65536);
        truncate(INC, ninth);
        String err = restoreFails(INC, "--no-verify");
        assertTrue(err.contains(INC + ": data for guest offset 0x180000 lies at 0x" + Long.toHexString(ninth)), err);
        assertTrue(err.contains("past end of file (0x" + Long.toHexString(ninth) + ")"), err);
    }

    @Test
    void aFileCutInsideAnL2TableFails() throws Exception {
        truncate(INC, l2Table(INC) + 100);
        String err = restoreFails(INC, "--no-verify");
        assertTrue(err.contains("l2 table"), err);
    }

    @Test
    void aFileCutInsideTheRefcountAreaFails() throws Exception {
        truncate(INC, u64(INC, 48) + 8); // refcount_table_offset at byte 48
        restoreFails(INC, "--no-verify");
    }

    @Test
    void aBitFlippedInDataFailsOnTheChecksumEvenWhereThePointDoesNotReadIt() throws Exception {
        // The full's cluster at 1 MiB is hidden by the inc at point 2; the file is damaged all the same.
        flipBit(FULL, dataCluster(FULL, 1 << 20) + 7, 3);
        String err = restoreFails(FULL);
        assertTrue(err.contains(FULL + ": crc32c is "), err);
        assertTrue(err.contains(", the manifest says "), err);
        restoreSucceeds("--no-verify"); // skipped on request: the point itself reads intact clusters
        assertTrue(Qemu.img(root, "compare", "bk/vda.0002.inc.qcow2", out.resolve("vda.qcow2").toString())
                .contains("Images are identical."));
    }

    @Test
    void aBitFlippedInAnL2EntryFailsOnTheChecksum() throws Exception {
        // Bit 17 of the host offset of guest cluster 1 MiB: the entry now points at another cluster.
        long entry = l2Table(INC) + 8 * 16;
        flipBit(INC, entry + 5, 1);
        String err = restoreFails(INC);
        assertTrue(err.contains(INC + ": crc32c is "), err);
    }

    @Test
    void aMissingMiddleLayerFails() throws Exception {
        Files.delete(bk.resolve(INC));
        String err = restoreFails(INC);
        assertTrue(err.contains("missing"), err);
    }

    @Test
    void aLayerReplacedByAnotherBackupsFileOfTheSameNameFails() throws Exception {
        // Another set of the same shape: same names, same headers, other data (qemu-io's patterns
        // are the same, but the set's files differ in their allocation order once rewritten).
        Path other = Files.createDirectory(root.resolve("other"));
        BackupSetFixture.write(other, Checksum.CRC32C);
        Qemu.io(other, "-c", "write -P 0x77 1M 64k", INC);
        Files.copy(other.resolve(INC), bk.resolve(INC), StandardCopyOption.REPLACE_EXISTING);
        String err = restoreFails(INC);
        assertTrue(err.contains(INC + ": crc32c is "), err);
    }

    @Test
    void bootChecksTheStructureOfEveryLayerBeforeItNeedsLibvirt() throws Exception {
        truncate(INC, dataCluster(INC, (1 << 20) + 8 * 65536));
        CliDriver.Result r = CLI.run("boot", bk.toString(), "--at", "2", "--scratch",
                root.resolve("scratch").toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().contains(INC) && r.stderr().contains("past end of file"), r.stderr());
        assertFalse(Files.exists(root.resolve("scratch")), "nothing prepared");
    }

    @Test
    void bootWithVerifyChecksEveryLayersChecksum() throws Exception {
        flipBit(FULL, dataCluster(FULL, 1 << 20) + 7, 3);
        CliDriver.Result r = CLI.run("boot", bk.toString(), "--at", "2", "--verify", "--scratch",
                root.resolve("scratch").toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("virtchain: " + FULL + ": crc32c is "), r.stderr());
    }

    @Test
    void verifyFindsDataPastTheEndOfAFile() throws Exception {
        truncate(INC, dataCluster(INC, (1 << 20) + 8 * 65536));
        CliDriver.Result r = CLI.run("verify", bk.toString(), "--at", "1");
        assertEquals(1, r.exitCode(), r.stdout());
        assertTrue(r.stderr().contains("past end of file"), r.stderr());
    }

    @Test
    void imgFlattenOfATruncatedImageReadsZerosAsQemuDoesAndWarnsOnce() throws Exception {
        truncate(INC, dataCluster(INC, (1 << 20) + 8 * 65536));
        Path loose = Files.createDirectory(root.resolve("loose")); // no manifest: no backup set
        Files.copy(bk.resolve(FULL), loose.resolve(FULL));
        Files.copy(bk.resolve(INC), loose.resolve(INC));
        Path flat = root.resolve("flat.qcow2");
        CliDriver.Result r = CLI.run("img", "flatten", loose.resolve(INC).toString(), flat.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertTrue(r.stderr().startsWith("virtchain: warning: " + loose.resolve(INC)
                + ": data for guest offset 0x180000"), r.stderr());
        assertTrue(r.stderr().contains("reads as zeros, as in qemu"), r.stderr());
        assertTrue(Qemu.img(root, "check", "flat.qcow2").contains("No errors"));
        assertTrue(Qemu.img(root, "compare", "loose/" + INC, "flat.qcow2").contains("Images are identical."));
    }

    @Test
    void imgFlattenOfAFileInABackupDirectoryRefusesDataPastTheEnd() throws Exception {
        truncate(INC, dataCluster(INC, (1 << 20) + 8 * 65536));
        Path flat = root.resolve("flat.qcow2");
        CliDriver.Result r = CLI.run("img", "flatten", bk.resolve(INC).toString(), flat.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertTrue(r.stderr().startsWith("virtchain: " + bk.resolve(INC) + ": data for guest offset 0x180000"),
                r.stderr());
        assertFalse(Files.exists(flat));
    }
}
