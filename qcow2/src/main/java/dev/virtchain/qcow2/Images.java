package dev.virtchain.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Opens disk images and their backing chains, as qemu does: the format is probed from the
 * magic unless given, backing names are resolved against the overlay's directory, the backing
 * format extension is honoured, and a chain that loops, uses a protocol or is too deep is an error.
 */
public final class Images {
    /** Deep enough for years of daily incremental backups, shallow enough to bound recursion. */
    public static final int MAX_CHAIN_DEPTH = 1024;

    private Images() {
    }

    /** Opens {@code filename} with its whole backing chain, probing every format not recorded. */
    public static Image open(String filename) throws IOException {
        return open(filename, null, true);
    }

    /**
     * Opens {@code filename}.
     *
     * @param format      {@code qcow2}, {@code raw}, or null to probe
     * @param withBacking whether to open the backing chain (info without it, as qemu-img info)
     */
    public static Image open(String filename, String format, boolean withBacking) throws IOException {
        return open(filename, format, withBacking, new HashSet<>(), 0, null);
    }

    private static Image open(String filename, String format, boolean withBacking, Set<Path> seen, int depth,
            String overlay) throws IOException {
        ImageFile file = ImageFile.open(filename);
        try {
            Path real;
            try {
                real = file.path().toRealPath();
            } catch (IOException e) {
                throw new ImageException(filename, "cannot resolve its real path: " + e.getMessage(), e);
            }
            if (!seen.add(real)) {
                throw new ImageException(overlay, "backing chain loops back to " + filename);
            }
            ByteBuffer probe = ByteBuffer.allocate((int) Math.min(Qcow2Header.PROBE_LENGTH, file.size()));
            file.readFully("header", 0, probe);
            probe.flip();
            String fmt = format != null ? format : probeFormat(file, probe);
            switch (fmt) {
                case "raw":
                    return new RawImage(file);
                case "qcow2":
                    break;
                default:
                    throw new ImageException(filename, "format '" + fmt + "' is not supported (qcow2 or raw)");
            }
            Qcow2Header h = Qcow2Header.parse(filename, probe, (off, len) -> file.read("first cluster", off, len),
                    file.size());
            ImageFile data = null;
            Image backing = null;
            try {
                if (h.dataFile() != null) {
                    data = openDataFile(filename, h.dataFile());
                }
                if (withBacking && h.backingFile() != null) {
                    backing = openBacking(filename, h, seen, depth);
                }
                return new Qcow2Image(file, h, data, backing);
            } catch (IOException | RuntimeException e) {
                try (ImageFile d = data; Image b = backing) {
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static ImageFile openDataFile(String filename, String name) throws IOException {
        String protocol = protocolOf(name);
        if (protocol != null) {
            throw new ImageException(filename, "data file '" + name + "' uses protocol '" + protocol
                    + "', which virtchain does not open (only local files)");
        }
        return ImageFile.open(resolve(filename, name));
    }

    private static Image openBacking(String filename, Qcow2Header h, Set<Path> seen, int depth) throws IOException {
        String name = h.backingFile();
        String protocol = protocolOf(name);
        if (protocol != null) {
            throw new ImageException(filename, "backing file '" + name + "' uses protocol '" + protocol
                    + "', which virtchain does not open (only local files)");
        }
        if (depth + 1 >= MAX_CHAIN_DEPTH) {
            throw new ImageException(filename, "backing chain is deeper than " + MAX_CHAIN_DEPTH + " images");
        }
        String full = resolve(filename, name);
        try {
            return open(full, h.backingFormat(), true, seen, depth + 1, filename);
        } catch (ImageException e) {
            if (e.getMessage().equals(full + ": no such file")) {
                throw new ImageException(filename, "backing file '" + name + "' (" + full + ") does not exist");
            }
            throw e;
        }
    }

    private static String probeFormat(ImageFile file, ByteBuffer probe) throws ImageException {
        if (Qcow2Header.hasMagic(probe)) {
            if (probe.remaining() >= 8 && probe.getInt(4) == 1) {
                throw new ImageException(file.name(), "qcow version 1 images are not supported (only qcow2)");
            }
            return "qcow2";
        }
        return "raw";
    }

    /**
     * The name qemu opens for backing file {@code name} of the image opened as {@code overlay}:
     * absolute names and protocol names as they are, relative names joined to the overlay's
     * directory as written (not normalised), which is qemu's full-backing-filename.
     */
    public static String resolve(String overlay, String name) {
        if (name.startsWith("/") || protocolOf(name) != null) {
            return name;
        }
        int slash = overlay.lastIndexOf('/');
        return slash < 0 ? name : overlay.substring(0, slash + 1) + name;
    }

    /** The protocol prefix of a name such as {@code nbd:host:10809} or {@code json:{...}}, or null. */
    public static String protocolOf(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/') {
                return null;
            }
            if (c == ':') {
                return name.substring(0, i);
            }
        }
        return null;
    }
}
