package dev.virtchain.app.img;

import dev.virtchain.app.cli.FormatOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.qcow2.ops.Committer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

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

    @Mixin
    FormatOption format;

    @Mixin
    ProgressOptions progress;

    @Parameters(paramLabel = "FILE", description = "The qcow2 image whose data goes into its backing file.")
    Path file;

    @Override
    public Integer call() throws IOException {
        format.requireQcow2(spec);
        PrintWriter out = spec.commandLine().getOut();
        Committer.commit(file, keep, progress.meter(out));
        progress.finish(out);
        if (!progress.quiet()) {
            out.println("Image committed.");
            out.flush();
        }
        return 0;
    }
}
