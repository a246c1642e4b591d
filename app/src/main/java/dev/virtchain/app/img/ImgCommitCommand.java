package dev.virtchain.app.img;

import dev.virtchain.qcow2.Committer;
import dev.virtchain.qcow2.Images;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "commit",
        mixinStandardHelpOptions = true,
        description = {"Merge the data of a qcow2 image into its backing file, then empty the image.",
                "The backing file grows when FILE is larger. Other images that use the same backing",
                "file see its content change: commit only into a backing file nothing else depends on."},
        footer = {"",
                "Examples:",
                "  virtchain img commit overlay.qcow2",
                "  virtchain img commit -d -p overlay.qcow2"})
public final class ImgCommitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-d", description = "Keep FILE as it is after committing (do not empty it).")
    boolean keep;

    @Option(names = "-f", paramLabel = "FMT", description = "Format of FILE; must be qcow2.")
    String format;

    @Option(names = "-p", description = "Show progress.")
    boolean progress;

    @Option(names = "-q", description = "Quiet.")
    boolean quiet;

    @Parameters(paramLabel = "FILE", description = "The qcow2 image whose data goes into its backing file.")
    Path file;

    @Override
    public Integer call() throws IOException {
        if (format != null && !format.equals("qcow2")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-f " + format
                    + ": only qcow2 images have a backing file");
        }
        PrintWriter out = spec.commandLine().getOut();
        long size;
        try (var img = Images.open(file.toString(), "qcow2", false)) {
            size = img.virtualSize();
        }
        boolean show = progress && !quiet;
        Committer.commit(file, keep, ProgressMeter.of(show, out, size));
        ProgressMeter.finish(show, out);
        if (!quiet) {
            out.println("Image committed.");
            out.flush();
        }
        return 0;
    }
}
