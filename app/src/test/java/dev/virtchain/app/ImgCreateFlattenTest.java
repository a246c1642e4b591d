package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** img create and img flatten through the CLI, checked by qemu-img. */
class ImgCreateFlattenTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void createWritesAnImageQemuImgReadsWithTheLinkAsGiven() {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "3M");
        CliDriver.Result r = CLI.run("img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                "-o", "cluster_size=4K,extended_l2=off,refcount_bits=8", p("top.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().startsWith("Formatting '" + p("top.qcow2") + "', fmt=qcow2 cluster_size=4096"), r.stdout());
        String info = Qemu.img(dir, "info", "--output=json", "top.qcow2");
        assertTrue(info.contains("\"virtual-size\": 3145728"), "size defaults to the backing file's: " + info);
        assertTrue(info.contains("\"backing-filename\": \"base.raw\""), info);
        assertTrue(info.contains("\"backing-filename-format\": \"raw\""), info);
        assertTrue(info.contains("\"refcount-bits\": 8"), info);
        assertTrue(Qemu.img(dir, "check", "top.qcow2").contains("No errors were found"));
    }

    @Test
    void createProbesTheBackingFormatAndAlwaysRecordsIt() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "1M");
        assertEquals(0, CLI.run("img", "create", "-q", "-b", "base.qcow2", p("top.qcow2")).exitCode());
        assertTrue(Qemu.img(dir, "info", "--output=json", "top.qcow2").contains("\"backing-filename-format\": \"qcow2\""));
        Qemu.assertClean(dir.resolve("top.qcow2"));
    }

    @Test
    void createNeverOverwrites() throws Exception {
        Files.writeString(dir.resolve("keep.qcow2"), "data");
        CliDriver.Result r = CLI.run("img", "create", "-q", p("keep.qcow2"), "1M");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("keep.qcow2") + ": already exists\n", r.stderr());
        assertEquals("data", Files.readString(dir.resolve("keep.qcow2")));
    }

    @Test
    void createRejectsABadSizeAsAUsageError() {
        CliDriver.Result r = CLI.run("img", "create", "-q", p("x.qcow2"), "12Q");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("SIZE '12Q': expected a size such as"), r.stderr());
        assertFalse(Files.exists(dir.resolve("x.qcow2")));
    }

    @Test
    void flattenAndItsConvertAliasGiveStandaloneIdenticalImages() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x41 0 2M", "base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(dir, "-c", "write -P 0x42 1M 2M", "-c", "write -z 0 64k", "top.qcow2");
        assertEquals(0, CLI.run("img", "flatten", p("top.qcow2"), p("flat.qcow2")).exitCode());
        assertEquals(0, CLI.run("img", "convert", "-O", "raw", p("top.qcow2"), p("flat.raw")).exitCode());
        assertEquals(0, CLI.run("img", "convert", "-c", "-o", "compression_type=zstd", p("top.qcow2"),
                p("small.qcow2")).exitCode());
        for (String out : new String[] {"flat.qcow2", "flat.raw", "small.qcow2"}) {
            String cmp = Qemu.img(dir, "compare", "top.qcow2", out);
            assertTrue(cmp.contains("Images are identical."), out + ": " + cmp);
            assertFalse(Qemu.img(dir, "info", out).contains("backing file"), out + " is standalone");
        }
        Qemu.assertClean(dir.resolve("flat.qcow2"));
        Qemu.assertClean(dir.resolve("small.qcow2"));
    }

    /** The L1 table of 1 GiB at 512-byte clusters needs more clusters than the first refcount block counts. */
    @Test
    void createAndFlattenWith512ByteClustersAtAGibibyte() {
        CliDriver.Result r = CLI.run("img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512",
                p("small.qcow2"), "1G");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Qemu.img(dir, "check", "small.qcow2").contains("No errors were found"));
        Qemu.io(dir, "-c", "write -P 0x71 0 64k", "-c", "write -P 0x72 1023M 1M", "small.qcow2");
        r = CLI.run("img", "flatten", "-o", "cluster_size=512", p("small.qcow2"), p("flat.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Qemu.img(dir, "check", "flat.qcow2").contains("No errors were found"));
        assertTrue(Qemu.img(dir, "info", "--output=json", "flat.qcow2").contains("\"cluster-size\": 512"));
        assertTrue(Qemu.img(dir, "compare", "small.qcow2", "flat.qcow2").contains("Images are identical."));
    }

    /** Random data does not shrink: -c stores it uncompressed, as qemu-img convert -c does (zstd used to crash). */
    @Test
    void aCompressedFlattenOfRandomDataStoresItUncompressed() throws Exception {
        byte[] random = new byte[1 << 20];
        new Random(3).nextBytes(random);
        Files.write(dir.resolve("random.raw"), random);
        for (String type : new String[] {"zstd", "zlib"}) {
            String out = type + ".qcow2";
            CliDriver.Result r = CLI.run("img", "flatten", "-f", "raw", "-c", "-o", "compression_type=" + type,
                    p("random.raw"), p(out));
            assertEquals(0, r.exitCode(), r.stderr());
            assertEquals("", r.stderr());
            assertTrue(Qemu.img(dir, "check", out).contains("No errors were found"), out);
            assertTrue(Qemu.img(dir, "compare", "-f", "raw", "random.raw", out).contains("Images are identical."), out);
        }
    }

    @Test
    void flattenAndRestoreTakeNoReflinkAndSayWhatItDoes() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "4M");
        Qemu.io(dir, "-c", "write -P 0x41 0 2M", "base.qcow2");
        CliDriver.Result r = CLI.run("img", "flatten", "--no-reflink", "-O", "raw", p("base.qcow2"), p("flat.raw"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Qemu.img(dir, "compare", "base.qcow2", "flat.raw").contains("Images are identical."));
        for (String[] cmd : new String[][] {{"img", "flatten", "--help"}, {"restore", "--help"}}) {
            String help = CLI.run(cmd).stdout();
            assertTrue(help.contains("--no-reflink") && help.contains("XFS"), String.join(" ", cmd) + ":\n" + help);
        }
    }

    @Test
    void flattenOfAMissingSourceLeavesNothingBehind() throws Exception {
        CliDriver.Result r = CLI.run("img", "flatten", p("nope.qcow2"), p("out.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("nope.qcow2") + ": no such file\n", r.stderr());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void rebaseAndCommitThroughTheCli() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "2M");
        Qemu.io(dir, "-c", "write -P 0x61 0 1M", "base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(dir, "-c", "write -P 0x62 512k 64k", "top.qcow2");
        Qemu.img(dir, "convert", "-O", "raw", "top.qcow2", "before.raw");

        CliDriver.Result r = CLI.run("img", "rebase", "-b", "", p("top.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertFalse(Qemu.img(dir, "info", "top.qcow2").contains("backing file"));
        assertTrue(Qemu.img(dir, "compare", "top.qcow2", "before.raw").contains("Images are identical."));
        Qemu.assertClean(dir.resolve("top.qcow2"));

        assertEquals(0, CLI.run("img", "rebase", "-u", "-b", "base.qcow2", "-F", "qcow2", p("top.qcow2"))
                .exitCode());
        r = CLI.run("img", "commit", p("top.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("Image committed.\n", r.stdout());
        assertTrue(Qemu.img(dir, "compare", "base.qcow2", "before.raw").contains("Images are identical."));
        Qemu.assertClean(dir.resolve("base.qcow2"));
        Qemu.assertClean(dir.resolve("top.qcow2"));
    }

    @Test
    void commitOfAStandaloneImageSaysSo() {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "solo.qcow2", "1M");
        CliDriver.Result r = CLI.run("img", "commit", p("solo.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("solo.qcow2") + ": has no backing file to commit into\n", r.stderr());
    }
}
