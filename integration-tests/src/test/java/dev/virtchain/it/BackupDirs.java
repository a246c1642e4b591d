package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Processes;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A virtchain backup directory judged from outside: the manifest {@code virtchain.json} read as
 * plain JSON, the qcow2 files by qemu-img, and {@code virtchain list --json} against the manifest.
 */
final class BackupDirs {
    static final ObjectMapper JSON = new ObjectMapper();

    private BackupDirs() {
    }

    static JsonNode manifest(Path dir) {
        return readJson(dir.resolve("virtchain.json"));
    }

    /** The manifest's record of backup {@code seq}. */
    static JsonNode backup(Path dir, int seq) {
        for (JsonNode b : manifest(dir).get("backups")) {
            if (b.get("seq").asInt() == seq) {
                return b;
            }
        }
        throw new AssertionError("backup " + seq + " is not in " + dir.resolve("virtchain.json"));
    }

    /** The manifest's record of disk {@code target} in backup {@code seq}. */
    static JsonNode disk(Path dir, int seq, String target) {
        for (JsonNode d : backup(dir, seq).get("disks")) {
            if (d.get("target").asText().equals(target)) {
                return d;
            }
        }
        throw new AssertionError("backup " + seq + " has no disk " + target + ": " + backup(dir, seq));
    }

    /** Every backup file the manifest names. */
    static Set<String> manifestFiles(Path dir) {
        Set<String> files = new TreeSet<>();
        for (JsonNode b : manifest(dir).get("backups")) {
            for (JsonNode d : b.get("disks")) {
                files.add(d.get("file").asText());
            }
        }
        return files;
    }

    /** The file names of {@code file}'s backing chain as qemu-img resolves it from the headers, top first. */
    static List<String> chain(Path dir, String file) {
        JsonNode images = json(Qemu.img(dir, "info", "-U", "--backing-chain", "--output=json", file));
        List<String> names = new ArrayList<>();
        for (JsonNode img : images) {
            Path p = Path.of(img.get("filename").asText());
            assertEquals(dir.toAbsolutePath().normalize(), dir.resolve(p).toAbsolutePath().normalize().getParent(),
                    "every image of the chain is in the backup directory: " + images);
            names.add(p.getFileName().toString());
            assertEquals("qcow2", img.get("format").asText(), img.toString());
            JsonNode backing = img.get("backing-filename");
            if (backing != null) {
                // Relative links: the directory can move and the chain still resolves.
                assertFalse(backing.asText().contains("/"), "backing link is a bare file name: " + img);
                assertEquals("qcow2", img.get("backing-filename-format").asText(), img.toString());
            }
        }
        return names;
    }

    static long virtualSize(Path dir, String file) {
        return json(Qemu.img(dir, "info", "-U", "--output=json", file)).get("virtual-size").asLong();
    }

    /** qemu-img compare, reading both through their chains, finds the same guest content. */
    static void assertSameContent(Path dir, Path a, Path b) {
        Qemu.Result r = Qemu.run(dir, "qemu-img", "compare", "-U", a.toString(), b.toString());
        assertEquals(0, r.exitCode(), () -> "qemu-img compare -U " + a + " " + b + ": " + r.stdout() + r.stderr());
        assertEquals("Images are identical.", r.stdout().strip());
    }

    /** Every qcow2 file in {@code dir} passes qemu-img check: no corruption, no leak. */
    static void assertImagesClean(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(f -> f.getFileName().toString().endsWith(".qcow2")).sorted().toList()) {
                Qemu.assertClean(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The whole directory: the qcow2 files in it are exactly the files the manifest names (no
     * partial or stray files), each is read-only (0400) and passes qemu-img check; and
     * {@code virtchain list --json} reports what the manifest records.
     */
    static void assertConsistent(Path dir) {
        Set<String> named = manifestFiles(dir);
        Set<String> present = new TreeSet<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                assertFalse(n.endsWith(".partial"), "left over: " + f);
                if (n.endsWith(".qcow2")) {
                    present.add(n);
                    assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
                            "a finished backup file is read-only: " + f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(named, present, "the qcow2 files in " + dir + " are the ones its manifest names");
        assertImagesClean(dir);
        assertListMatchesManifest(dir);
    }

    /** {@code virtchain list --json DIR} reports the manifest's domain, and every backup's level, parent, checkpoint and files. */
    static void assertListMatchesManifest(Path dir) {
        JsonNode list = CliDriver.inProcess().ok("list", "--json", dir.toString()).json();
        JsonNode m = manifest(dir);
        assertEquals(m.get("domain").get("name").asText(), list.get("domain").asText());
        assertEquals(m.get("domain").get("uuid").asText(), list.get("uuid").asText());
        assertEquals(m.get("setId").asText(), list.get("set-id").asText());
        JsonNode mb = m.get("backups");
        JsonNode lb = list.get("backups");
        assertEquals(mb.size(), lb.size(), () -> list + " vs " + m);
        for (int i = 0; i < mb.size(); i++) {
            JsonNode want = mb.get(i);
            JsonNode got = lb.get(i);
            String at = "list --json backup[" + i + "]";
            assertEquals(want.get("seq").asInt(), got.get("seq").asInt(), at);
            assertEquals(want.get("level").asText(), got.get("level").asText(), at);
            assertEquals(want.get("time").asText(), got.get("time").asText(), at);
            assertEquals(want.get("parentSeq"), got.get("parent"), at);
            assertEquals(want.get("checkpoint"), got.get("checkpoint"), at);
            assertEquals(want.get("disks").size(), got.get("disks").size(), at);
            for (int j = 0; j < want.get("disks").size(); j++) {
                JsonNode wd = want.get("disks").get(j);
                JsonNode gd = got.get("disks").get(j);
                String dat = at + ".disks[" + j + "]";
                assertEquals(wd.get("target").asText(), gd.get("target").asText(), dat);
                assertEquals(wd.get("file").asText(), gd.get("file").asText(), dat);
                assertEquals(wd.get("backingFile"), gd.get("backing-file"), dat);
                assertEquals(wd.get("virtualSize").asLong(), gd.get("virtual-size").asLong(), dat);
                assertEquals(wd.get("bytesWritten").asLong(), gd.get("bytes-written").asLong(), dat);
                assertEquals(wd.get("mode").asText(), gd.get("mode").asText(), dat);
                assertEquals(wd.get("checksum").get("value").asText(),
                        gd.get(wd.get("checksum").get("algorithm").asText()).asText(), dat);
            }
        }
    }

    static void assertNoFile(Path dir, String glob) {
        try (var s = Files.newDirectoryStream(dir, glob)) {
            assertFalse(s.iterator().hasNext(), "no " + glob + " in " + dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    static boolean exists(Path dir, String name) {
        return Files.exists(dir.resolve(name));
    }

    static void assertExists(Path dir, String name) {
        assertTrue(exists(dir, name), dir.resolve(name) + " exists");
    }

    /** The disk targets of a backup's --json summary, in order. */
    static List<String> targets(JsonNode summary) {
        List<String> t = new ArrayList<>();
        summary.get("disks").forEach(d -> t.add(d.get("target").asText()));
        return t;
    }

    /** Bytes qemu-img map says {@code file} holds itself (data and zero clusters), not its backing chain. */
    static long storedInTop(Path dir, String file) {
        return DiskChecks.allocatedInTop(Qemu.img(dir, "map", "--output=json", file));
    }

    /** The disks a checkpoint's XML tracks with a bitmap, then the disks it has checkpoint='no' for. */
    static List<List<String>> checkpointDisks(String checkpointXml) {
        try {
            var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new org.xml.sax.InputSource(new java.io.StringReader(checkpointXml)));
            var xp = javax.xml.xpath.XPathFactory.newInstance().newXPath();
            List<List<String>> out = new ArrayList<>();
            for (String kind : List.of("bitmap", "no")) {
                var n = (org.w3c.dom.NodeList) xp.evaluate("/domaincheckpoint/disks/disk[@checkpoint='" + kind
                        + "']/@name", doc, javax.xml.xpath.XPathConstants.NODESET);
                List<String> l = new ArrayList<>();
                for (int i = 0; i < n.getLength(); i++) {
                    l.add(n.item(i).getNodeValue());
                }
                out.add(l);
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError("cannot read checkpoint XML: " + e + "\n" + checkpointXml, e);
        }
    }

    /** The names in {@code dir}, sorted. */
    static List<String> listDir(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's CRC-32C, computed here in one piece, as 8 hex digits. */
    static String crc32c(Path f) {
        try {
            var crc = new java.util.zip.CRC32C();
            crc.update(Files.readAllBytes(f));
            return String.format("%08x", crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's sha256 as coreutils' sha256sum prints it. */
    static String sha256sum(Path f) {
        Processes.Result r = Processes.run(f.toAbsolutePath().getParent(), java.time.Duration.ofMinutes(3),
                "sha256sum is in coreutils", List.of("sha256sum", f.toString()));
        if (r.exitCode() != 0) {
            throw new AssertionError("sha256sum " + f + ": " + r.stdout() + r.stderr());
        }
        return r.stdout().substring(0, 64);
    }
}
