package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.io.ImageFile;
import dev.virtchain.qcow2.io.Zeros;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
        return open(filename, format, withBacking, PastEnd.ZEROS);
    }

    /** Opens the file a name of a chain resolves to; {@link ImageFile#open(String)} for local files. */
    @FunctionalInterface
    public interface Opener {
        ImageFile open(String name) throws IOException;
    }

    /**
     * Opens {@code filename} as {@link #open(String, String, boolean)} does, with {@code pastEnd}
     * deciding what reads of data mapped past the end of a file of the chain do.
     */
    public static Image open(String filename, String format, boolean withBacking, PastEnd pastEnd)
            throws IOException {
        return open(filename, format, withBacking, pastEnd, ImageFile::open);
    }

    /**
     * Opens {@code filename} and its chain as {@link #open(String, String, boolean, PastEnd)} does,
     * every file of it through {@code opener}: a chain whose files are not local (objects in a
     * bucket). Backing names resolve as for files; a file without a path is told apart by its name.
     */
    public static Image open(String filename, String format, boolean withBacking, PastEnd pastEnd, Opener opener)
            throws IOException {
        // Opened top-down in a loop and built bottom-up, never by recursion: a legal chain of
        // MAX_CHAIN_DEPTH images overflowed the stack when each link recursed into the next.
        List<Layer> layers = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        Image built = null;
        try {
            Layer layer = openLayer(filename, format, seen, null, opener);
            layers.add(layer);
            while (withBacking && layer.header() != null && layer.header().backingFile() != null) {
                layer = openBacking(layer.file().name(), layer.header(), seen, layers.size() - 1, opener);
                layers.add(layer);
            }
            for (int i = layers.size() - 1; i >= 0; i--) {
                Layer l = layers.remove(i);
                built = l.header() == null ? new RawImage(l.file()) : build(l, built, pastEnd);
            }
            return built;
        } catch (IOException | RuntimeException e) {
            try (Image b = built) {
                for (Layer l : layers) {
                    l.close();
                }
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** One opened file of a chain: a qcow2 layer (with header and maybe a data file) or raw (no header). */
    private record Layer(ImageFile file, Qcow2Header header, ImageFile data) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                file.close();
            } finally {
                if (data != null) {
                    data.close();
                }
            }
        }
    }

    private static Image build(Layer l, Image backing, PastEnd pastEnd) throws IOException {
        try {
            return new Qcow2Image(l.file(), l.header(), l.data(), backing, pastEnd);
        } catch (IOException | RuntimeException e) {
            l.close(); // the caller closes the chain below
            throw e;
        }
    }

    private static Layer openLayer(String filename, String format, Set<Path> seen, String overlay, Opener opener)
            throws IOException {
        ImageFile file = opener.open(filename);
        try {
            Path real;
            try {
                real = file.path() == null ? Path.of("/", filename).normalize() : file.path().toRealPath();
            } catch (IOException e) {
                throw new ImageException(ErrorKind.of(e), filename, "cannot resolve its real path: "
                        + ImageException.reason(e), e);
            }
            if (!seen.add(real)) {
                throw new ImageException(ErrorKind.CORRUPT, overlay, "backing chain loops back to "
                        + Names.escape(filename));
            }
            ByteBuffer probe = ByteBuffer.allocate((int) Math.min(Qcow2Header.PROBE_LENGTH, file.size()));
            file.readFully("header", 0, probe);
            probe.flip();
            String fmt = format != null ? format : probeFormat(file, probe);
            switch (fmt) {
                case "raw":
                    return new Layer(file, null, null);
                case "qcow2":
                    break;
                default:
                    throw new ImageException(ErrorKind.UNSUPPORTED, filename, "format " + Names.quote(fmt)
                            + " is not supported (qcow2 or raw)");
            }
            Qcow2Header h = Qcow2Header.parse(filename, probe, (off, len) -> file.read("first cluster", off, len),
                    file.size());
            ImageFile data = h.dataFile() != null ? openDataFile(filename, h.dataFile(), opener) : null;
            return new Layer(file, h, data);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static ImageFile openDataFile(String filename, String name, Opener opener) throws IOException {
        String protocol = protocolOf(name);
        if (protocol != null) {
            throw new ImageException(ErrorKind.UNSUPPORTED, filename, "data file " + Names.quote(name)
                    + " uses protocol " + Names.quote(protocol) + ", which virtchain does not open (only local files)");
        }
        String full = resolve(filename, name);
        try {
            return opener.open(full);
        } catch (ImageException e) {
            // The image that names the data file comes first: that is the file the user opened.
            throw new ImageException(e.kind(), filename, "data file " + Names.quote(name)
                    + (full.equals(name) ? "" : " (" + Names.escape(full) + ")") + ": " + e.problem(), e);
        }
    }

    private static Layer openBacking(String filename, Qcow2Header h, Set<Path> seen, int depth, Opener opener)
            throws IOException {
        String name = h.backingFile();
        String protocol = protocolOf(name);
        if (protocol != null) {
            throw new ImageException(ErrorKind.UNSUPPORTED, filename, "backing file " + Names.quote(name)
                    + " uses protocol " + Names.quote(protocol) + ", which virtchain does not open (only local files)");
        }
        if (depth + 1 >= MAX_CHAIN_DEPTH) {
            throw new ImageException(ErrorKind.UNSUPPORTED, filename, "backing chain is deeper than "
                    + MAX_CHAIN_DEPTH + " images");
        }
        String full = resolve(filename, name);
        try {
            return openLayer(full, h.backingFormat(), seen, filename, opener);
        } catch (ImageException e) {
            if (full.equals(e.file()) && e.problem().equals("no such file")) {
                throw new ImageException(ErrorKind.NOT_FOUND, filename, "backing file " + Names.quote(name) + " ("
                        + Names.escape(full) + ") does not exist");
            }
            throw e;
        }
    }

    private static String probeFormat(ImageFile file, ByteBuffer probe) throws ImageException {
        if (Qcow2Header.hasMagic(probe)) {
            if (probe.remaining() >= 8 && probe.getInt(4) == 1) {
                throw new ImageException(ErrorKind.UNSUPPORTED, file.name(),
                        "qcow version 1 images are not supported (only qcow2)");
            }
            return "qcow2";
        }
        return "raw";
    }

    /**
     * Fills {@code dst} with what {@code below}, a backing chain, shows at {@code guest}: zeros
     * past its virtual size, or all zeros when there is none (null).
     */
    public static void readBelow(Image below, long guest, ByteBuffer dst) throws IOException {
        if (below != null && guest < below.virtualSize()) {
            int n = (int) Math.min(dst.remaining(), below.virtualSize() - guest);
            below.read(guest, dst.slice(dst.position(), n));
            dst.position(dst.position() + n);
        }
        Zeros.fill(dst);
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
