package dev.virtchain.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names an image holds (backing, data file, snapshot, bitmap and feature names) may hold any
 * byte. Wherever the CLI prints one for a person, in an error or in human output, it is escaped
 * (a newline as \n, a NUL as \0), so a message stays one line; JSON output keeps the name exact.
 */
class EscapedNamesTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    @TempDir
    Path dir;

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** stdout or stderr holds no control character but the newlines that end its lines. */
    private static void assertNoControlCharacters(String text) {
        for (char c : text.toCharArray()) {
            assertTrue(c == '\n' || (c >= 0x20 && c != 0x7f), "control character " + (int) c + " in:\n" + text);
        }
    }

    @Test
    void aMissingBackingFileWithANewlineInItsNameIsOneLine() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-u", "-b", "gone\nname.qcow2", "-F", "qcow2", "top.qcow2", "1M");
        CliDriver.Result r = CLI.run("img", "map", p("top.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("top.qcow2") + ": backing file 'gone\\nname.qcow2' (" + dir
                + "/gone\\nname.qcow2) does not exist\n", r.stderr());
    }

    @Test
    void infoShowsABackingNameEscapedAndItsJsonKeepsTheNameExact() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-u", "-b", "gone\nname.qcow2", "-F", "qcow2", "top.qcow2", "1M");
        CliDriver.Result r = CLI.run("img", "info", p("top.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("backing file: gone\\nname.qcow2 (actual path: " + dir + "/gone\\nname.qcow2)\n"),
                r.stdout());
        assertNoControlCharacters(r.stdout());
        JsonNode json = new ObjectMapper().readTree(CLI.run("img", "info", "--output=json", p("top.qcow2")).stdout());
        assertEquals("gone\nname.qcow2", json.get("backing-filename").asText());
    }

    @Test
    void aMissingDataFileNamesTheImageThatRefersToIt() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "data_file=vda.raw", "vda.qcow2", "1M");
        Files.delete(dir.resolve("vda.raw"));
        CliDriver.Result r = CLI.run("img", "info", p("vda.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("vda.qcow2") + ": data file 'vda.raw' (" + p("vda.raw") + "): no such file\n",
                r.stderr());
    }

    @Test
    void mapShowsADataFileWithANewlineInItsNameEscaped() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "-o", "data_file=d\nx.raw", "vda.qcow2", "1M");
        Qemu.io(dir, "-c", "write -P 0x11 0 64k", "vda.qcow2");
        CliDriver.Result r = CLI.run("img", "map", p("vda.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(String.format("%-16s%-16s%-16s%s%n%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File",
                "0", "0x10000", "0", dir + "/d\\nx.raw"), r.stdout());
    }

    @Test
    void aSnapshotNameWithNulAndNewlineIsEscapedInInfoAndExactInItsJson() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "sn.qcow2", "1M");
        Qemu.img(dir, "snapshot", "-c", "snapAxB", "sn.qcow2");
        replaceInFile(dir.resolve("sn.qcow2"), "snapAxB", "snap\0x\n");
        CliDriver.Result r = CLI.run("img", "info", p("sn.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("\n1         snap\\0x\\n          "), r.stdout());
        assertNoControlCharacters(r.stdout());
        JsonNode json = new ObjectMapper().readTree(CLI.run("img", "info", "--output=json", p("sn.qcow2")).stdout());
        assertEquals("snap\0x\n", json.get("snapshots").get(0).get("name").asText());
    }

    @Test
    void aBitmapNameWithANewlineIsEscapedInInfo() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "bm.qcow2", "1M");
        Qemu.img(dir, "bitmap", "--add", "bm.qcow2", "bit\nmap");
        CliDriver.Result r = CLI.run("img", "info", p("bm.qcow2"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("            name: bit\\nmap\n"), r.stdout());
        assertNoControlCharacters(r.stdout());
    }

    @Test
    void anUnsupportedFeatureNamedWithANewlineIsOneLine() throws Exception {
        Qemu.img(dir, "create", "-q", "-f", "qcow2", "f.qcow2", "1M");
        // Turn the feature table's entry for incompatible bit 1 ("corrupt bit") into one for an
        // unknown bit 9 named "x\ny", and set bit 9: a feature virtchain does not know, by its name.
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("f.qcow2").toFile(), "rw")) {
            byte[] cluster = new byte[512];
            f.readFully(cluster);
            int name = new String(cluster, StandardCharsets.ISO_8859_1).indexOf("corrupt bit");
            f.seek(name - 1);
            f.write(9);
            f.write("x\ny".getBytes(StandardCharsets.US_ASCII));
            f.write(new byte["corrupt bit".length() - 3]);
            f.seek(72);
            long incompatible = f.readLong();
            f.seek(72);
            f.writeLong(incompatible | 1L << 9);
        }
        CliDriver.Result r = CLI.run("img", "info", p("f.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + p("f.qcow2") + ": unsupported incompatible feature(s): bit 9 'x\\ny'\n",
                r.stderr());
    }

    @Test
    void aFileNameGivenWithAControlCharacterIsEscapedToo() throws Exception {
        CliDriver.Result r = CLI.run("img", "info", p("no\u001b[2Jpe.qcow2"));
        assertEquals(1, r.exitCode());
        assertEquals("virtchain: " + dir + "/no\\x1b[2Jpe.qcow2: no such file\n", r.stderr());
    }

    /** Overwrites the first occurrence of {@code from} in the file with {@code to}, of the same length. */
    private static void replaceInFile(Path file, String from, String to) throws Exception {
        byte[] b = Files.readAllBytes(file);
        int at = new String(b, StandardCharsets.ISO_8859_1).indexOf(from);
        assertTrue(at >= 0, from + " is in " + file);
        byte[] with = to.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(with, 0, b, at, with.length);
        Files.write(file, b);
    }
}
