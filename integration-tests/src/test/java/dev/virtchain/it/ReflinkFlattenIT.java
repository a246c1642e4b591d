package dev.virtchain.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Flatten on a loop-mounted XFS made with reflink=1: the output shares the chain's extents (the
 * file system's shared flag says so, and its free space barely moves), is identical to what
 * qemu-img convert makes, and passes qemu-img check; {@code --no-reflink} gives the same image
 * with its own blocks; an output on another file system falls back to copying, and so does a
 * piece the kernel refuses halfway because the base it clones from lies on another one.
 */
class ReflinkFlattenIT {
    private static final long M = 1 << 20;
    /** Random data in the base: a few hundred MiB, so that copying it shows in the free space. */
    private static final long DATA = 256 * M;
    private static final String INSTALL = "apt-get update && apt-get install -y xfsprogs qemu-utils mount";
    /** FIEMAP_EXTENT_SHARED. */
    private static final long SHARED = 0x2000;
    private static final Pattern FIEMAP_LINE =
            Pattern.compile("^\\s*\\d+: \\[\\d+\\.\\.\\d+\\]:\\s+\\d+\\.\\.\\d+\\s+(\\d+)\\s+0x([0-9a-f]+)\\s*$");

    private static Path root;
    private static Path fsImage;
    private static Path xfs;
    private static boolean mounted;

    @BeforeAll
    static void mountXfsAndBuildAChain() throws IOException {
        HostRequirements.requireToolsFor("the reflink test", INSTALL, "mkfs.xfs", "xfs_io", "mount", "umount", "losetup",
                "qemu-img", "qemu-io");
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new AssertionError("the reflink test loop-mounts an XFS file system, which needs root");
        }
        root = Files.createTempDirectory("reflink-it");
        fsImage = root.resolve("xfs.img");
        try (FileChannel f = FileChannel.open(fsImage, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.allocate(1), 2048 * M - 1); // sparse: 2 GiB that take what XFS writes
        }
        tool(root, "mkfs.xfs", "-q", "-m", "reflink=1", fsImage.toString());
        xfs = Files.createDirectory(root.resolve("xfs"));
        tool(root, "mount", "-o", "loop", fsImage.toString(), xfs.toString());
        mounted = true;

        // base: random data in runs with holes between them, made raw off the XFS and converted to
        // qcow2 on it. Nothing on the XFS is ever deleted: XFS frees an unlinked file's blocks in the
        // background, which would blur the free-space measurements.
        Path raw = root.resolve("base.raw");
        SplittableRandom random = new SplittableRandom(42);
        try (FileChannel f = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate((int) M);
            for (long run = 0; run < DATA; run += 32 * M) {
                for (long off = 0; off < 32 * M; off += M) {
                    b.clear();
                    while (b.hasRemaining()) {
                        b.putLong(random.nextLong());
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        f.write(b, 2 * run + off + b.position());
                    }
                }
            }
        }
        Qemu.img(root, "resize", "-q", "-f", "raw", raw.toString(), String.valueOf(2 * DATA)); // a hole at the end
        Qemu.img(xfs, "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), "base.qcow2");
        Files.delete(raw);
        Qemu.img(xfs, "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "top.qcow2");
        Qemu.io(xfs, "-c", "write -P 0x5a 1M 3M", "-c", "write -P 0x5b 100k 5k", "-c", "write -z 40M 2M",
                "-c", "discard 70M 1M", "-c", "write -P 0x5c 200M 300k", "-c", "write -P 0x5d 500M 8M", "top.qcow2");
        tool(xfs, "sync");
    }

    @AfterAll
    static void unmountAndDetach() throws IOException {
        if (mounted) {
            Qemu.Result r = Qemu.run(root, "umount", xfs.toString());
            if (r.exitCode() != 0) {
                Qemu.run(root, "umount", "-l", xfs.toString()); // busy: detach it from the tree anyway
            }
        }
        if (fsImage != null) {
            // mount -o loop sets autoclear, but a loop device left by a failed mount would stay.
            for (String line : Qemu.run(root, "losetup", "-j", fsImage.toString()).stdout().split("\n")) {
                if (line.contains(":")) {
                    Qemu.run(root, "losetup", "-d", line.substring(0, line.indexOf(':')));
                }
            }
        }
        if (root != null) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void qcow2OutputSharesTheChainsExtents() throws IOException {
        assertShared("flat.qcow2", "qcow2");
    }

    @Test
    void rawOutputSharesTheChainsExtents() throws IOException {
        assertShared("flat.raw", "raw", "-O", "raw");
    }

    @Test
    void noReflinkCopiesIntoAnIdenticalImageThatSharesNothing() throws IOException {
        for (String format : new String[] {"qcow2", "raw"}) {
            Path out = xfs.resolve("copied." + format);
            long used = flatten(out, "--no-reflink", "-O", format);
            assertSameAsQemu(out, format);
            assertEquals(0, sharedBytes(out), "--no-reflink shares nothing: " + fiemap(out));
            assertTrue(used > DATA * 9 / 10, format + ": copying the data took " + used + " bytes of the file system");
        }
    }

    @Test
    void anOutputOnAnotherFileSystemFallsBackToCopying() throws IOException {
        for (String format : new String[] {"qcow2", "raw"}) {
            Path out = root.resolve("elsewhere." + format);
            CliDriver.inProcess().ok("img", "flatten", "-O", format, xfs.resolve("top.qcow2").toString(), out.toString());
            assertSameAsQemu(out, format);
            Files.delete(out);
        }
    }

    /**
     * An overlay on the XFS over a raw base of written zeros off it: the kernel clones the
     * overlay's cluster and then refuses the base's (EXDEV) in the middle of a piece, which is then
     * copied whole. This left clusters past the end of the qcow2 output, with exit 0, while a
     * refused piece stayed mapped.
     */
    @Test
    void aPieceRefusedHalfwayBecauseItsBaseIsOnAnotherFileSystemIsCopiedWhole() throws IOException {
        Path base = root.resolve("elsewhere-base.raw");
        Qemu.img(root, "create", "-q", "-f", "raw", "-o", "preallocation=full", base.toString(), "8M");
        Qemu.io(root, "-f", "raw", "-c", "write -P 0x11 1M 1M", base.toString());
        Path top = xfs.resolve("over-elsewhere.qcow2");
        Qemu.img(xfs, "create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        // The compressed cluster is read first, so the output's L2 table exists before the piece is tried.
        Qemu.io(xfs, "-c", "write -c -P 0x21 0 64k", "-c", "write -P 0x22 64k 64k", "-c", "write -P 0x23 3M 64k",
                top.toString());
        for (String format : new String[] {"qcow2", "raw"}) {
            Path out = xfs.resolve("over-elsewhere-flat." + format);
            CliDriver.inProcess().ok("img", "flatten", "-O", format, top.toString(), out.toString());
            String cmp = Qemu.img(root, "compare", "-f", "qcow2", "-F", format, top.toString(), out.toString());
            assertTrue(cmp.contains("Images are identical."), cmp);
            if (format.equals("qcow2")) {
                Qemu.img(root, "check", out.toString()); // exits non-zero on corruptions or leaks
                String map = Qemu.img(root, "map", "--output=json", out.toString());
                assertFalse(map.contains("\"zero\": true, \"data\": true"), "clusters mapped to holes: " + map);
            }
        }
    }

    private static void assertShared(String name, String format, String... options) throws IOException {
        Path out = xfs.resolve(name);
        long used = flatten(out, options);
        assertSameAsQemu(out, format);
        long shared = sharedBytes(out);
        // All of the base's data but what the overlay replaced, and the overlay's own clusters.
        assertTrue(shared > DATA * 9 / 10, name + " shares only " + shared + " bytes: " + fiemap(out));
        assertTrue(used < DATA / 20, name + ": the flatten took " + used + " bytes of the file system");
    }

    /** Flattens the chain into {@code out} and returns how much the XFS's free space went down. */
    private static long flatten(Path out, String... options) throws IOException {
        tool(xfs, "sync");
        long before = Files.getFileStore(xfs).getUnallocatedSpace();
        String[] args = Stream.concat(Stream.of("img", "flatten"),
                Stream.concat(Stream.of(options), Stream.of(xfs.resolve("top.qcow2").toString(), out.toString())))
                .toArray(String[]::new);
        CliDriver.inProcess().ok(args);
        tool(xfs, "sync");
        return before - Files.getFileStore(xfs).getUnallocatedSpace();
    }

    /** Identical to the chain and to qemu-img convert's output (made off the XFS), and clean. */
    private static void assertSameAsQemu(Path out, String format) {
        Path theirs = root.resolve("theirs." + format);
        if (!Files.exists(theirs)) {
            Qemu.img(root, "convert", "-O", format, xfs.resolve("top.qcow2").toString(), theirs.toString());
        }
        String cmp = Qemu.img(root, "compare", "-f", format, "-F", format, theirs.toString(), out.toString());
        assertTrue(cmp.contains("Images are identical."), cmp);
        cmp = Qemu.img(root, "compare", "-f", "qcow2", "-F", format, xfs.resolve("top.qcow2").toString(),
                out.toString());
        assertTrue(cmp.contains("Images are identical."), cmp);
        if (format.equals("qcow2")) {
            Qemu.img(root, "check", out.toString()); // exits non-zero on corruptions or leaks
        }
    }

    private static String fiemap(Path file) {
        return tool(file.getParent(), "xfs_io", "-r", "-c", "fiemap -v", file.toString());
    }

    /** Bytes of {@code file} in extents the file system flags as shared. */
    private static long sharedBytes(Path file) {
        long sectors = 0;
        for (String line : fiemap(file).split("\n")) {
            Matcher m = FIEMAP_LINE.matcher(line);
            if (m.matches() && (Long.parseLong(m.group(2), 16) & SHARED) != 0) {
                sectors += Long.parseLong(m.group(1));
            }
        }
        return sectors * 512;
    }

    private static String tool(Path dir, String tool, String... args) {
        Path exe = HostRequirements.which(tool);
        Qemu.Result r = Qemu.run(dir, exe != null ? exe.toString() : tool, args);
        if (r.exitCode() != 0) {
            throw new AssertionError(tool + " " + String.join(" ", args) + " exited " + r.exitCode() + ":\n"
                    + r.stdout() + r.stderr());
        }
        return r.stdout();
    }
}
