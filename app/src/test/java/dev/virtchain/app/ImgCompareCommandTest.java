package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code virtchain img compare} against {@code qemu-img compare} on the same files: exit code and stdout. */
class ImgCompareCommandTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    @BeforeEach
    void images() {
        // base (2M) <- top (4M), its flattened qcow2 and raw copies, and a 6M image with a nonzero tail
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "2M");
        Qemu.io(dir, "-c", "write -P 0xab 0 1M", "base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0xcd 512k 64k", "-c", "write -z 768k 64k", "-c", "write -P 1 3M 4k",
                "top.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", "top.qcow2", "flat.qcow2");
        Qemu.img(dir, "convert", "-O", "raw", "top.qcow2", "flat.raw");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "flat.raw", "-F", "raw", "tail.qcow2", "6M");
        Qemu.io(dir, "-c", "write -P 7 5M 512", "tail.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "flat.raw", "-F", "raw", "grown.qcow2", "6M");
    }

    @Test
    void aChainAndItsFlattenedCopiesAreIdentical() {
        assertLikeQemu("Images are identical.\n", 0, "top.qcow2", "flat.qcow2");
        assertLikeQemu("Images are identical.\n", 0, "top.qcow2", "flat.raw");
        assertLikeQemu("Images are identical.\n", 0, "-f", "raw", "-F", "qcow2", "flat.raw", "top.qcow2");
    }

    @Test
    void aContentDifferenceExitsOneWithItsSectorOffset() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("flat.raw").toFile(), "rw")) {
            f.seek(512 * 1024 + 1000);
            f.write(0);
        }
        assertLikeQemu("Content mismatch at offset 524800!\n", 1, "top.qcow2", "flat.raw");
        assertLikeQemu("", 1, "-q", "top.qcow2", "flat.raw");
    }

    @Test
    void sizesThatDifferWarnAndCheckTheTail() {
        assertLikeQemu("Warning: Image size mismatch!\nImages are identical.\n", 0, "-f", "raw", "flat.raw",
                "grown.qcow2");
        assertLikeQemu("Warning: Image size mismatch!\nContent mismatch at offset 5242880!\n", 1, "top.qcow2",
                "tail.qcow2");
        assertLikeQemu("Strict mode: Image size mismatch!\n", 1, "-s", "top.qcow2", "tail.qcow2");
    }

    @Test
    void strictModeComparesBlockStatus() {
        // the zero cluster at 768k against a hole in the raw file
        assertLikeQemu("Strict mode: Offset 786432 block status mismatch!\n", 1, "-s", "top.qcow2", "flat.raw");
        assertLikeQemu("Images are identical.\n", 0, "-s", "flat.raw", "flat.raw");
    }

    @Test
    void aMissingFileExitsTwoWithOneLine() {
        CliDriver.Result r = assertLikeQemu("", 2, "top.qcow2", "missing.qcow2");
        assertEquals("virtchain: " + dir.resolve("missing.qcow2") + ": no such file\n", r.stderr());
    }

    @Test
    void anImageThatIsNotQcow2ExitsTwo() {
        CliDriver.Result r = assertLikeQemu("", 2, "-f", "qcow2", "flat.raw", "top.qcow2");
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }

    /*
     * A table or data cluster past the end of the file: qemu reads zeros there and reports a content
     * mismatch (exit 1); virtchain refuses the broken image with qemu's exit codes for a failed block
     * status (3) or read (4), naming the rule it breaks.
     */
    @Test
    void anL2TablePastTheEndOfFileFailsBlockStatusWithExitThree() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "bad.qcow2", "1M");
        Qemu.io(dir, "-c", "write -P 1 0 64k", "bad.qcow2");
        long l1 = readLong("bad.qcow2", 40); // header: l1_table_offset
        writeLong("bad.qcow2", l1, 0x7f000000L); // l1[0]: an l2 table far past the end
        CliDriver.Result r = CLI.run("img", "compare", dir.resolve("bad.qcow2").toString(),
                dir.resolve("flat.raw").toString());
        assertEquals(3, r.exitCode(), r.stderr());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().matches("virtchain: .*l2 table at 0x7f000000 .* lies past end of file .*"
                + "\\(compare: block status at offset 0 of .*bad.qcow2\\)\n"), r.stderr());
    }

    @Test
    void aDataClusterPastTheEndOfFileReadsAsZerosAndMismatchesAsInQemu() throws IOException {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "bad.qcow2", "1M");
        Qemu.io(dir, "-c", "write -P 1 0 64k", "bad.qcow2");
        Qemu.img(dir, "convert", "-O", "raw", "bad.qcow2", "good.raw");
        long l2 = readLong("bad.qcow2", readLong("bad.qcow2", 40)) & 0x00fffffffffffe00L;
        writeLong("bad.qcow2", l2, 0x8000_0000_7f00_0000L); // l2[0]: COPIED, a cluster far past the end
        Qemu.Result theirs = Qemu.run(dir, "qemu-img", "compare", "good.raw", "bad.qcow2");
        CliDriver.Result r = CLI.run("img", "compare", dir.resolve("good.raw").toString(),
                dir.resolve("bad.qcow2").toString());
        assertEquals(theirs.exitCode(), r.exitCode(), r.stderr());
        assertEquals(1, r.exitCode());
        assertEquals(theirs.stdout(), r.stdout());
    }

    private long readLong(String file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(file).toFile(), "r")) {
            f.seek(offset);
            return f.readLong();
        }
    }

    private void writeLong(String file, long offset, long value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(file).toFile(), "rw")) {
            f.seek(offset);
            f.writeLong(value);
        }
    }

    @Test
    void helpShowsExamplesAndImgListsCompare() {
        CliDriver.Result help = CLI.run("img", "compare", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().contains("virtchain img compare vda.0003.inc.qcow2 restored/vda.qcow2"), help.stdout());
        assertTrue(CLI.run("img", "--help").stdout().contains("compare"));
    }

    /** Runs qemu-img compare and ours with ARGS (file names relative to the temp dir); both must agree. */
    private CliDriver.Result assertLikeQemu(String stdout, int exitCode, String... args) {
        List<String> ours = new ArrayList<>(List.of("img", "compare"));
        List<String> theirs = new ArrayList<>(List.of("compare"));
        for (String a : args) {
            ours.add(a.contains(".") ? dir.resolve(a).toString() : a);
            theirs.add(a);
        }
        Qemu.Result q = Qemu.run(dir, "qemu-img", theirs.toArray(String[]::new));
        CliDriver.Result r = CLI.run(ours.toArray(String[]::new));
        String what = String.join(" ", args) + "\nqemu-img: " + q.stdout() + q.stderr() + "\nvirtchain: " + r.stdout()
                + r.stderr();
        assertEquals(q.exitCode(), r.exitCode(), what);
        assertEquals(q.stdout(), r.stdout(), what);
        assertEquals(exitCode, r.exitCode(), what);
        assertEquals(stdout, r.stdout(), what);
        if (exitCode == 2) {
            assertEquals(1, r.stderr().lines().count(), what);
        } else {
            assertEquals("", r.stderr(), what);
        }
        return r;
    }
}
