package dev.virtchain.app.img;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.app.testing.CliDriver;
import dev.virtchain.qcow2.testing.ImageMatrix;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code img info} and {@code img map} print what qemu-img 7.2 prints for every matrix image:
 * JSON compared parsed, field for field; human text compared verbatim for map and for the
 * fixtures marked human. Images are named by a relative path (with directories) and by an
 * absolute one, since filename and full-backing-filename echo the name given.
 */
class MatrixInfoMapTest {
    private static final CliDriver CLI = CliDriver.forThisRun();

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Relative to the working directory, which both tools share. */
    private static Path root;
    private static final Path CWD = Path.of("").toAbsolutePath();

    @BeforeAll
    static void createRoot() throws IOException {
        Path target = Path.of("target");
        Files.createDirectories(target);
        root = CWD.relativize(Files.createTempDirectory(target.toAbsolutePath(), "matrix-"));
    }

    @AfterAll
    static void deleteRoot() throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @TestFactory
    Stream<DynamicNode> info_and_map_equal_qemu_img() {
        return ImageMatrix.all().stream().map(f -> {
            Path[] top = new Path[1];
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("build", () -> top[0] = f.build(root)));
            tests.add(DynamicTest.dynamicTest("info json, relative name",
                    () -> assertSameJson(built(top), "info", "--output=json")));
            tests.add(DynamicTest.dynamicTest("info json, absolute name",
                    () -> assertSameJson(built(top).toAbsolutePath(), "info", "--output=json")));
            tests.add(DynamicTest.dynamicTest("info json --backing-chain",
                    () -> assertSameJson(built(top), "info", "--output=json", "--backing-chain")));
            tests.add(DynamicTest.dynamicTest("map json", () -> assertSameJson(built(top), "map", "--output=json")));
            tests.add(DynamicTest.dynamicTest("map json, absolute name",
                    () -> assertSameJson(built(top).toAbsolutePath(), "map", "--output=json")));
            tests.add(DynamicTest.dynamicTest("map human", () -> assertSameText(built(top), "map")));
            tests.add(DynamicTest.dynamicTest("info human", () -> assertSameText(built(top), "info")));
            if (f.human()) {
                tests.add(DynamicTest.dynamicTest("info json --backing-chain, bare name in its directory",
                        () -> assertSameFromImageDirectory(built(top))));
                tests.add(DynamicTest.dynamicTest("info human --backing-chain",
                        () -> assertSameText(built(top), "info", "--backing-chain")));
            }
            return DynamicContainer.dynamicContainer(f.name(), tests);
        });
    }

    private static Path built(Path[] top) {
        if (top[0] == null) {
            throw new AssertionError("the fixture was not built");
        }
        return top[0];
    }

    private static void assertSameJson(Path image, String... command) throws IOException {
        String[] args = withImage(image, command);
        String theirs = Qemu.img(CWD, args);
        CliDriver.Result ours = CLI.run(prepend("img", args));
        assertEquals(0, ours.exitCode(), () -> "virtchain failed: " + ours.stderr());
        JsonNode expected = JSON.readTree(theirs);
        JsonNode actual = JSON.readTree(ours.stdout());
        assertEquals(expected, actual, () -> "qemu-img " + String.join(" ", args) + "\n--- qemu-img:\n" + theirs
                + "\n--- virtchain:\n" + ours.stdout());
    }

    /** Same text and exit code; where qemu-img gives up (compressed clusters in a human map), virtchain says why. */
    private static void assertSameText(Path image, String... command) {
        String[] args = withImage(image, command);
        Qemu.Result theirs = Qemu.run(CWD, "qemu-img", args);
        CliDriver.Result ours = CLI.run(prepend("img", args));
        String what = "qemu-img " + String.join(" ", args);
        assertEquals(theirs.exitCode(), ours.exitCode(), () -> what + "\n--- qemu-img:\n" + theirs.stderr()
                + "\n--- virtchain:\n" + ours.stderr());
        assertEquals(theirs.stdout(), ours.stdout(), what);
        if (theirs.exitCode() != 0) {
            assertTrue(ours.stderr().startsWith("virtchain: " + image + ": "), ours.stderr());
        }
    }

    /**
     * Run where the image lies and named without any directory (how users usually type it), so
     * relative backing names resolve against "": the CLI runs as its own process, since a JVM
     * cannot change its working directory.
     */
    private static void assertSameFromImageDirectory(Path image) throws Exception {
        Path dir = image.toAbsolutePath().getParent();
        String name = image.getFileName().toString();
        for (String[] command : List.<String[]>of(new String[] {"info", "--output=json", "--backing-chain", name})) {
            String theirs = Qemu.img(dir, command);
            CliDriver.Result ours = CLI.in(dir).run(prepend("img", command));
            assertEquals(0, ours.exitCode(), () -> "virtchain failed: " + ours.stderr());
            assertEquals(JSON.readTree(theirs), JSON.readTree(ours.stdout()), () -> "in " + dir + ": qemu-img "
                    + String.join(" ", command) + "\n--- qemu-img:\n" + theirs + "\n--- virtchain:\n" + ours.stdout());
        }
    }

    private static String[] withImage(Path image, String... command) {
        String[] a = new String[command.length + 1];
        System.arraycopy(command, 0, a, 0, command.length);
        a[command.length] = image.toString();
        return a;
    }

    private static String[] prepend(String first, String... rest) {
        String[] a = new String[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }
}
