package dev.virtchain.app.img;

import dev.virtchain.app.cli.FormatOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.qcow2.ops.Rebaser;
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

@Command(name = "rebase",
        mixinStandardHelpOptions = true,
        description = {"Change the backing file of a qcow2 image.",
                "Safe mode (default) first copies into FILE every range where the old and the new backing",
                "differ, so what the guest sees is unchanged; -u rewrites only the link (use it when the",
                "backing file was moved or renamed). NEW is stored as given and resolved against FILE's",
                "directory; -b \"\" makes FILE standalone."},
        footer = {"",
                "Examples:",
                "  virtchain img rebase -b vda.0000.full.qcow2 vda.0002.inc.qcow2",
                "  virtchain img rebase -u -b ../moved/base.qcow2 -F qcow2 top.qcow2",
                "  virtchain img rebase -b \"\" top.qcow2"})
public final class ImgRebaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-b", required = true, paramLabel = "NEW", description = "The new backing file (\"\" for none).")
    String backing;

    @Option(names = "-F", paramLabel = "FMT", description = "Format of NEW (qcow2 or raw); probed when absent.")
    String backingFormat;

    @Option(names = "-u", description = "Unsafe: rewrite the link only, copy no data.")
    boolean unsafe;

    @Mixin
    FormatOption format;

    @Mixin
    ProgressOptions progress;

    @Parameters(paramLabel = "FILE", description = "The qcow2 image to rebase.")
    Path file;

    @Override
    public Integer call() throws IOException {
        format.requireQcow2(spec);
        PrintWriter out = spec.commandLine().getOut();
        Rebaser.rebase(file, backing, backingFormat, unsafe, progress.meter(out));
        progress.finish(out);
        return 0;
    }
}
