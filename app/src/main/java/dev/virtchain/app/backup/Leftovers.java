package dev.virtchain.app.backup;

import dev.virtchain.chain.Manifest;
import dev.virtchain.chain.Naming;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a run that died (SIGKILL, a crash, power loss) left in a backup directory: files under
 * {@code .partial} names (its targets, and the temporary files of {@code DurableFiles}, hidden
 * {@code .NAME.N.partial}), a manifest's temporary file of older versions, and files under final names of a backup the
 * manifest never named (the run died between renaming its targets and writing the manifest).
 * Only names virtchain itself gives out are ever touched, and only while the directory is locked:
 * no other run can be writing them then.
 */
final class Leftovers {
    /**
     * {@code vda.0003.inc.qcow2}, {@code domain.0003.xml}, {@code domain.0003.inactive.xml},
     * {@code nvram.0003.fd}, {@code kernel.0003}, {@code initrd.0003}.
     */
    private static final Pattern BACKUP_FILE = Pattern.compile(
            "(?:[A-Za-z0-9][A-Za-z0-9_-]{0,63}\\.(\\d{4,9})\\.(?:full|inc|diff|copy)\\.qcow2"
                    + "|domain\\.(\\d{4,9})(?:\\.inactive)?\\.xml|nvram\\.(\\d{4,9})\\.fd|kernel\\.(\\d{4,9})|initrd\\.(\\d{4,9}))");
    /** {@code .virtchain.json.N.tmp}: the manifest's temporary name before DurableFiles. */
    private static final Pattern MANIFEST_TMP = Pattern.compile("\\." + Pattern.quote(Naming.MANIFEST) + "\\..*\\.tmp");

    private Leftovers() {
    }

    /**
     * The files of uncommitted runs in {@code dir}: everything under a partial name, manifest
     * temporaries, and virtchain-named files of a seq above the manifest's last one (for checkpoint
     * XML: of this backup set only). {@code manifest} is null when the directory has none yet: then
     * only partial and temporary names go, since nothing proves whose the other files are.
     */
    static List<Path> find(Path dir, Manifest manifest) throws IOException {
        List<Path> out = new ArrayList<>();
        int last = manifest == null ? -1 : manifest.lastSeq();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                if (n.endsWith(Naming.PARTIAL_SUFFIX) || MANIFEST_TMP.matcher(n).matches()) {
                    out.add(p);
                    continue;
                }
                Matcher m = BACKUP_FILE.matcher(n);
                if (manifest != null && m.matches() && seqOf(m) > last) {
                    out.add(p);
                }
            }
        }
        Path cps = dir.resolve(Naming.CHECKPOINTS_DIR);
        if (Files.isDirectory(cps)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(cps)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!Files.isRegularFile(p)) {
                        continue;
                    }
                    if (n.endsWith(Naming.PARTIAL_SUFFIX)) {
                        out.add(p);
                    } else if (manifest != null && n.endsWith(".xml")
                            && Naming.checkpointSeq(manifest.setId(), n.substring(0, n.length() - 4)) > last) {
                        out.add(p);
                    }
                }
            }
        }
        out.sort(null);
        return out;
    }

    private static int seqOf(Matcher m) {
        for (int g = 1; g <= m.groupCount(); g++) {
            if (m.group(g) != null) {
                return Integer.parseInt(m.group(g));
            }
        }
        return -1;
    }
}
