package dev.virtchain.app.img;

import dev.virtchain.app.cli.ForceShareOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.app.cli.ReflinkOption;
import dev.virtchain.chain.Naming;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.ops.Flattener;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.write.CreateOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "flatten",
        aliases = "convert",
        mixinStandardHelpOptions = true,
        description = {"Write the whole chain under SRC into one standalone image DST of SRC's virtual size.",
                "Zero and unallocated ranges are not written, so DST stays sparse. DST appears only when",
                "complete (it is written under a temporary name) and is never overwritten.",
                "On the same XFS (reflink=1) or btrfs file system as the chain, data clusters are",
                "cloned: DST shares the chain's extents (raw, or qcow2 without -c with clusters",
                "of at least 4K). Elsewhere, and with --no-reflink, they are copied."},
        footer = {"",
                "Options for -o: cluster_size (512 to 2M, default 64K), compression_type (zlib|zstd, with -c).",
                "",
                "Examples:",
                "  virtchain img flatten vda.0003.inc.qcow2 vda-restored.qcow2",
                "  virtchain img flatten -O raw -p vda.0003.inc.qcow2 /dev/shm/vda.raw",
                "  virtchain img convert -c -o compression_type=zstd -O qcow2 vda.0003.inc.qcow2 small.qcow2"})
public final class ImgFlattenCommand implements Callable<Integer> {
    private static final Set<String> OPTIONS = Set.of("cluster_size", "compression_type");

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "Format of SRC (qcow2 or raw); probed when absent.")
    String format;

    @Option(names = "-O", paramLabel = "FMT", defaultValue = "qcow2", description = "Output format: qcow2 (default) or raw.")
    String outputFormat;

    @Option(names = "-c", description = "Store clusters compressed (qcow2 output).")
    boolean compress;

    @Option(names = "-o", paramLabel = "OPTIONS", description = "Comma-separated key=value output options.")
    String options;

    @Mixin
    ProgressOptions progress;

    @Mixin
    ForceShareOption forceShare;

    @Mixin
    ReflinkOption reflink;

    @Parameters(index = "0", paramLabel = "SRC", description = "Top of the chain to flatten.")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "The new standalone image; must not exist.")
    Path destination;

    @Override
    public Integer call() throws IOException {
        ImageOptions o = ImageOptions.parse(spec, options, OPTIONS);
        if (!outputFormat.equals("qcow2") && !outputFormat.equals("raw")) {
            throw new ParameterException(spec.commandLine(), "-O " + outputFormat + ": expected qcow2 or raw");
        }
        if (outputFormat.equals("raw") && (compress || options != null)) {
            throw new ParameterException(spec.commandLine(), "raw output takes neither -c nor -o");
        }
        Flattener.Options fo = Flattener.Options.qcow2().withFormat(outputFormat)
                .withCompression(compress, o.compressionType(spec))
                .withClusterBits(o.clusterBits(spec, CreateOptions.DEFAULT_CLUSTER_BITS))
                .withReflink(reflink.enabled());
        PrintWriter out = spec.commandLine().getOut();
        try (Image src = Images.open(source, format, true, pastEnd())) {
            Flattener.flatten(src, destination, fo, progress.meter(out));
        }
        progress.finish(out);
        return 0;
    }

    /**
     * qemu-img's zero-fill, with a warning, for a data cluster past the end of its file; but a file
     * in a backup directory is part of a backup set, never read with lost clusters as zeros.
     */
    private PastEnd pastEnd() {
        Path parent = Path.of(source).toAbsolutePath().getParent();
        if (parent != null && Files.isRegularFile(parent.resolve(Naming.MANIFEST))) {
            return PastEnd.FAIL;
        }
        return PastEndWarnings.on(spec.commandLine().getErr());
    }
}
