package dev.virtchain.app;

import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The build's training run for the class-data-sharing archive next to the jar
 * ({@code app/target/virtchain.jsa}, a static dump of the classes this run loads, during
 * {@code mvn package}; the {@code virtchain} launcher maps it when it is there). It runs, in one
 * JVM, the commands a user runs: the img commands on a small chain, a backup through libvirt's
 * test driver (which has no backup job, so it fails after the domain XML, the disks, the plan and
 * the targets), status with its Prometheus file, a prune that merges an inc into its full, config
 * check of a TOML file, so that their classes come from the archive
 * instead of being loaded, parsed and verified from the jar at every start. It saves about a third
 * of a second per command. Nothing here is part of the CLI; failures of the commands are expected and ignored.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    /** {@code args[0]}: a scratch directory, created and deleted here. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]).toAbsolutePath();
        delete(dir);
        Files.createDirectories(dir);
        try {
            train(dir);
        } finally {
            delete(dir);
        }
    }

    private static void train(Path dir) throws IOException {
        String base = dir.resolve("base.qcow2").toString();
        String top = dir.resolve("top.qcow2").toString();
        try (Qcow2Writer w = Qcow2Writer.create(Path.of(base), CreateOptions.of(64 << 20))) {
            byte[] data = new byte[1 << 20];
            new Random(1).nextBytes(data);
            w.write(0, ByteBuffer.wrap(data));
            w.writeZeroes(8 << 20, 1 << 20);
        }
        run("img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top);
        try (Qcow2Writer w = Qcow2Writer.open(Path.of(top))) {
            w.write(512 << 10, ByteBuffer.wrap(new byte[1 << 20]));
        }
        run("--help");
        run("img", "info", "--backing-chain", "--output=json", top);
        run("img", "info", top);
        run("img", "map", "--output=json", top);
        run("img", "map", top);
        run("img", "check", top);
        run("img", "compare", base, top);
        run("img", "flatten", top, dir.resolve("flat.qcow2").toString());
        run("img", "flatten", "-O", "raw", top, dir.resolve("flat.raw").toString());
        run("img", "flatten", "-c", top, dir.resolve("flat-c.qcow2").toString());
        run("img", "rebase", "-b", "", top);
        run("img", "commit", dir.resolve("flat-c.qcow2").toString());

        Path node = dir.resolve("node.xml");
        Files.writeString(node, """
                <node>
                  <domain type='test'>
                    <name>training</name>
                    <memory>65536</memory>
                    <os><type>hvm</type></os>
                    <devices>
                      <disk type='file' device='disk'>
                        <driver name='qemu' type='qcow2'/>
                        <source file='%s'/>
                        <target dev='vda' bus='virtio'/>
                      </disk>
                    </devices>
                  </domain>
                </node>
                """.formatted(top));
        String backups = dir.resolve("backups").toString();
        run("backup", "-c", "test://" + node, "-d", "training", "-o", backups, "-l", "full", "--json");
        run("list", backups);
        run("status", backups, "-c", "test://" + node, "--prometheus", dir.resolve("virtchain.prom").toString());
        run("list", "--json", backups);
        run("verify", backups);
        run("restore", backups, "-o", dir.resolve("restored").toString());
        prune(dir);
        Path toml = dir.resolve("virtchain.toml");
        Files.writeString(toml, """
                [defaults]
                root = "%s"
                checksum = "crc32c"
                [defaults.keep]
                daily = 7
                within = "14d"
                ["web*"]
                level = "inc"
                """.formatted(backups));
        run("config", "check", "--config", toml.toString(), "-d", "training", "--json");
        run("config", "check", "--config", toml.toString(), "-d", "training");
        // The S3 client's classes (about half of the jar): a push to a port on loopback where
        // nothing listens, with made-up keys of this JVM only, fails at the first request.
        System.setProperty("aws.accessKeyId", "training");
        System.setProperty("aws.secretAccessKey", "training");
        System.setProperty("aws.region", "us-east-1");
        run("push", backups, "s3://training/x", "--endpoint", "http://127.0.0.1:9", "--json");
        run("list", "s3://training/x", "--endpoint", "http://127.0.0.1:9");
    }

    /**
     * A prune that merges: a set of a full and an inc (the chain above, with the manifest a backup
     * writes), pruned to its last point, after a dry run of the same.
     */
    private static void prune(Path dir) throws IOException {
        Path set = Files.createDirectories(dir.resolve("prune-set"));
        Files.copy(dir.resolve("base.qcow2"), set.resolve("vda.0000.full.qcow2"));
        run("img", "create", "-f", "qcow2", "-b", "vda.0000.full.qcow2", "-F", "qcow2",
                set.resolve("vda.0001.inc.qcow2").toString());
        try (Qcow2Writer w = Qcow2Writer.open(set.resolve("vda.0001.inc.qcow2"))) {
            w.write(2 << 20, ByteBuffer.wrap(new byte[256 << 10]));
        }
        StringBuilder backups = new StringBuilder();
        for (int seq = 0; seq < 2; seq++) {
            String file = seq == 0 ? "vda.0000.full.qcow2" : "vda.0001.inc.qcow2";
            backups.append(seq == 0 ? "" : ",").append("""
                    {"seq": %d, "level": "%s", "time": "2026-11-0%dT23:00:00Z", "checkpoint": "virtchain.be9c0a11.000%d",
                     "parentSeq": %s, "disks": [{"target": "vda", "file": "%s", "virtualSize": %d, "backingFile": %s,
                     "bytesWritten": %d, "checksum": {"algorithm": "crc32c", "value": "%08x"}, "mode": "%s"}]}
                    """.formatted(seq, seq == 0 ? "full" : "inc", seq + 1, seq, seq == 0 ? "null" : "0", file, 64 << 20,
                    seq == 0 ? "null" : "\"vda.0000.full.qcow2\"", Files.size(set.resolve(file)),
                    crc32c(set.resolve(file)), seq == 0 ? "full" : "incremental"));
        }
        Files.writeString(set.resolve("virtchain.json"), """
                {"format": 1, "setId": "be9c0a11", "domain": {"name": "training", "uuid": "5d0c6a2e-0f3b-4c8e-9b1a-2f6e7d8c9b0a"},
                 "backups": [%s]}
                """.formatted(backups));
        run("prune", "--help");
        run("prune", set.toString(), "--keep-last", "1", "--dry-run", "--json");
        run("prune", set.toString(), "--keep-last", "1", "--dry-run");
        run("prune", set.toString(), "--keep-last", "1", "-c", "test:///default");
        run("list", set.toString());
    }

    private static long crc32c(Path file) throws IOException {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(ByteBuffer.wrap(Files.readAllBytes(file)));
        return c.getValue();
    }

    private static void run(String... args) {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        try {
            Main.run(args, nowhere, nowhere);
        } catch (RuntimeException | LinkageError e) {
            // A command that fails still loaded what it needed. LinkageError: a machine without
            // libvirt.so builds the jar too, with a smaller archive.
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
