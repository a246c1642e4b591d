package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error of img create, flatten, commit and rebase names a file the user gave, on one
 * line: never the temporary name a new image is written under, never a Java class name, never
 * a bare "File too large" that names no file at all. Writes that fail run the CLI with a small
 * file size limit ({@link CliDriver#withSmallFileLimit}), which fails them as a full disk
 * would.
 */
class UserFileNamesTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** The names of the files in the directory, sorted: no temporary file is left behind. */
    private List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void flattenOfAnImageTooLargeForTheOutputsClustersNamesTheOutput() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "huge.qcow2", "128P");
        CliDriver.Result r = CLI.run("img", "flatten", p("huge.qcow2"), p("out.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("out.qcow2") + ": size 144115188075855872 is too large for 65536-byte clusters"
                + " (at most 2251799813685248)\n", r.stderr());
        assertEquals(List.of("huge.qcow2"), files());
    }

    @Test
    void createOfAnImageTooLargeForItsClustersNamesTheImage() throws Exception {
        CliDriver.Result r = CLI.run("img", "create", "-q", "-o", "cluster_size=512", p("x.qcow2"), "100T");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("x.qcow2") + ": size 109951162777600 is too large for 512-byte clusters"
                + " (at most 137438953472)\n", r.stderr());
        assertEquals(List.of(), files());
    }

    @Test
    void createWithABackingNameTooLongForTheHeaderNamesTheImage() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "1M");
        String longName = "./".repeat(520) + "base.qcow2";
        CliDriver.Result r = CLI.run("img", "create", "-q", "-b", longName, p("x.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("x.qcow2") + ": backing file name is 1050 bytes (at most 1023)\n", r.stderr());
        assertEquals(List.of("base.qcow2"), files());
    }

    @Test
    void flattenIntoADirectoryThatDoesNotExistNamesTheOutput() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "src.qcow2", "1M");
        CliDriver.Result r = CLI.run("img", "flatten", p("src.qcow2"), p("nope/out.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("nope/out.qcow2") + ": cannot create: no such file or directory\n", r.stderr());
    }

    @Test
    void aRawFlattenOutputThatCannotGrowNamesTheOutput() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "src.qcow2", "64M");
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "flatten", "-O", "raw", "src.qcow2",
                "out.raw");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: out.raw: File too large\n", r.stderr());
        assertEquals(List.of("src.qcow2"), files());
    }

    @Test
    void aQcow2FlattenOutputThatCannotGrowNamesTheOutput() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "src.qcow2", "64M");
        Qemu.io(dir, "-c", "write -P 0x21 0 4M", "src.qcow2");
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "flatten", "--no-reflink", "src.qcow2",
                "out.qcow2");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: out.qcow2: File too large\n", r.stderr());
        assertEquals(List.of("src.qcow2"), files());
    }

    @Test
    void aRawImageThatCannotGrowToItsSizeNamesTheImage() throws Exception {
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "create", "-q", "-f", "raw", "r.raw", "64M");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: r.raw: File too large\n", r.stderr());
        assertEquals(List.of(), files());
    }

    @Test
    void commitIntoARawBackingFileThatCannotGrowNamesTheBackingFile() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "raw", "base.raw", "1M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "top.qcow2", "64M");
        Qemu.io(dir, "-c", "write -P 0x22 0 64k", "top.qcow2");
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "commit", "top.qcow2");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: base.raw: File too large\n", r.stderr());
    }

    @Test
    void commitIntoAQcow2BackingFileThatCannotGrowNamesTheBackingFile() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "64M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(dir, "-c", "write -P 0x23 0 4M", "top.qcow2");
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "commit", "top.qcow2");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: base.qcow2: File too large\n", r.stderr());
    }

    @Test
    void aRebaseThatCannotWriteNamesTheImage() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "64M");
        Qemu.io(dir, "-c", "write -P 0x24 0 4M", "base.qcow2");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        CliDriver.Result r = CLI.in(dir).withSmallFileLimit().run("img", "rebase", "-b", "", "top.qcow2");
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: top.qcow2: File too large\n", r.stderr());
    }

    @Test
    void aCommitThatCouldNotEmptyTheImageFailsBeforeWritingAndNamesIt() throws Exception {
        // qemu fits a 402-byte backing name beside a version 2 header in a 512-byte cluster;
        // the version 3 header of the emptied image leaves no room for it.
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "base.qcow2", "1M");
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "compat=0.10,cluster_size=512", "-b",
                "./".repeat(196) + "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(dir, "-c", "write -P 0x25 0 64k", "top.qcow2");
        CliDriver.Result r = CLI.run("img", "commit", p("top.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("top.qcow2") + ": cannot be emptied after the commit: backing file name (402 bytes)"
                + " does not fit in a 512-byte cluster; commit with -d to keep it as it is\n", r.stderr());
        assertFalse(Qemu.img(dir, "map", "--output=json", "base.qcow2").contains("\"data\": true"),
                "nothing was written into the backing file");
        assertEquals(0, CLI.run("img", "commit", "-d", p("top.qcow2")).exitCode());
        Qemu.assertClean(dir.resolve("base.qcow2"));
        Qemu.assertClean(dir.resolve("top.qcow2"));
    }
}
