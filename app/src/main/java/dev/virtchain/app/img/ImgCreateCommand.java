package dev.virtchain.app.img;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.io.AtomicOutput;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.write.CreateOptions;
import dev.virtchain.qcow2.write.Qcow2Writer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "create",
        mixinStandardHelpOptions = true,
        description = {"Create a new qcow2 (version 3) or raw image, optionally as an overlay on a backing file.",
                "The backing name is stored as given; a relative name is resolved against FILE's directory.",
                "An existing FILE is never overwritten."},
        footer = {"",
                "Options for -o: cluster_size (512 to 2M, default 64K), extended_l2 (on|off), refcount_bits",
                "(1..64, default 16), compression_type (zlib|zstd), backing_file, backing_fmt.",
                "",
                "Examples:",
                "  virtchain img create -f qcow2 disk.qcow2 20G",
                "  virtchain img create -f qcow2 -b vda.0000.full.qcow2 -F qcow2 overlay.qcow2",
                "  virtchain img create -f qcow2 -o cluster_size=2M,extended_l2=on big.qcow2 1T"})
public final class ImgCreateCommand implements Callable<Integer> {
    private static final Set<String> OPTIONS = Set.of("cluster_size", "extended_l2", "refcount_bits",
            "compression_type", "backing_file", "backing_fmt");

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", defaultValue = "qcow2", description = "qcow2 (default) or raw.")
    String format;

    @Option(names = "-b", paramLabel = "BACKING", description = "Backing file, stored as given.")
    String backing;

    @Option(names = "-F", paramLabel = "FMT", description = "Backing file format (qcow2 or raw); probed when absent.")
    String backingFormat;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Comma-separated key=value image options.")
    String options;

    @Option(names = "-q", description = "Quiet: print nothing on success.")
    boolean quiet;

    @Parameters(index = "0", paramLabel = "FILE", description = "The image to create; must not exist.")
    Path file;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE",
            description = "Virtual size (bytes, or with K, M, G, T suffix); defaults to the backing file's size.")
    String size;

    @Override
    public Integer call() throws IOException {
        ImageOptions o = ImageOptions.parse(spec, options, OPTIONS);
        String backingName = backing != null ? backing : o.get("backing_file");
        String backingFmt = backingFormat != null ? backingFormat : o.get("backing_fmt");
        if (!format.equals("qcow2") && !format.equals("raw")) {
            throw new ParameterException(spec.commandLine(), "-f " + format + ": expected qcow2 or raw");
        }
        if (format.equals("raw") && (backingName != null || options != null)) {
            throw new ParameterException(spec.commandLine(), "a raw image takes no backing file and no -o options");
        }
        long bytes = -1;
        if (size != null) {
            bytes = ImageOptions.size(spec, "SIZE", size);
        }
        if (backingName != null) {
            // The link must work now: open the chain below, take its format and (by default) its size.
            try (Image below = Images.open(Images.resolve(file.toString(), backingName), backingFmt, true)) {
                backingFmt = below.format();
                if (bytes < 0) {
                    bytes = below.virtualSize();
                }
            }
        }
        if (bytes < 0) {
            throw new ParameterException(spec.commandLine(), "SIZE is required without a backing file");
        }
        CreateOptions co = new CreateOptions(bytes, o.clusterBits(spec, CreateOptions.DEFAULT_CLUSTER_BITS),
                o.flag(spec, "extended_l2", false), o.refcountOrder(spec, CreateOptions.DEFAULT_REFCOUNT_ORDER),
                o.compressionType(spec), backingName, backingName != null ? backingFmt : null);
        AtomicOutput out = AtomicOutput.to(file);
        try (out) {
            if (format.equals("raw")) {
                try (FileChannel ch = FileChannel.open(out.temporary(), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                    if (bytes > 0) {
                        ch.write(java.nio.ByteBuffer.allocate(1), bytes - 1);
                    }
                }
            } else {
                Qcow2Writer.create(out.temporary(), co).close();
            }
            out.commit();
        } catch (IOException e) {
            throw out.about(e);
        }
        if (!quiet) {
            PrintWriter pw = spec.commandLine().getOut();
            StringBuilder sb = new StringBuilder("Formatting '").append(Names.escape(file.toString()))
                    .append("', fmt=").append(format);
            if (format.equals("qcow2")) {
                sb.append(" cluster_size=").append(1L << co.clusterBits())
                        .append(" extended_l2=").append(co.extendedL2() ? "on" : "off")
                        .append(" compression_type=").append(o.get("compression_type") != null
                                ? o.get("compression_type") : "zlib");
            }
            sb.append(" size=").append(bytes);
            if (backingName != null) {
                sb.append(" backing_file=").append(Names.escape(backingName))
                        .append(" backing_fmt=").append(backingFmt);
            }
            if (format.equals("qcow2")) {
                sb.append(" lazy_refcounts=off refcount_bits=").append(1 << co.refcountOrder());
            }
            pw.println(sb);
            pw.flush();
        }
        return 0;
    }
}
