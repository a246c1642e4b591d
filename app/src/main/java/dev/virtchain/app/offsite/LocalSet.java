package dev.virtchain.app.offsite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The files of a local backup directory that make up its set, as push sends them: every regular
 * file of the directory and of its {@code checkpoints/}, except the manifest (sent last, apart),
 * hidden names (locks, files being written) and {@code .partial} names of a backup under way.
 * Files of the directory that the manifest does not name go too: a base that prune keeps for
 * its dependents is one.
 */
final class LocalSet {
    /** One local file: name relative to the set (with '/'), size, modification time in ms. */
    record LocalFile(String name, Path path, long size, long mtime) {
    }

    private LocalSet() {
    }

    static Map<String, LocalFile> files(Path dir) throws IOException {
        Map<String, LocalFile> out = new TreeMap<>();
        add(dir, "", out);
        Path cps = dir.resolve(Bucket.CHECKPOINTS);
        if (Files.isDirectory(cps, LinkOption.NOFOLLOW_LINKS)) {
            add(cps, Bucket.CHECKPOINTS, out);
        }
        return out;
    }

    /** Whether file {@code name} belongs to a set (see the class comment). */
    static boolean isSetFile(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        return !base.startsWith(".") && !base.endsWith(".partial") && !name.equals(dev.virtchain.chain.Naming.MANIFEST)
                && !name.equals(RemoteIndex.NAME);
    }

    private static void add(Path dir, String prefix, Map<String, LocalFile> out) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = prefix + p.getFileName();
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isRegularFile() && isSetFile(name)) {
                    out.put(name, new LocalFile(name, p, a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        }
    }
}
