package dev.virtchain.app.img;

import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.ForceShareOption;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.PastEnd;
import dev.virtchain.qcow2.ops.ImageCompare;
import dev.virtchain.qcow2.read.Images;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "compare",
        mixinStandardHelpOptions = true,
        description = {"Check whether two images show the guest the same content, through their whole backing "
                + "chains (qemu-img compare).",
                "Exit status: 0 identical, 1 different, 2 an image cannot be opened, 3 block status failed, "
                        + "4 a read failed."},
        footer = {"",
                "Examples:",
                "  virtchain img compare vda.0003.inc.qcow2 restored/vda.qcow2",
                "  virtchain img compare -F raw vda.0003.inc.qcow2 vda.img",
                "  virtchain img compare -q -s a.qcow2 b.qcow2 && echo same content and allocation"})
public final class ImgCompareCommand implements Callable<Integer>, ExitCodes.ErrorExitCode {
    /** qemu-img compare: an image that cannot be opened exits 2. */
    private static final int OPEN_FAILED = 2;

    @Spec
    CommandSpec spec;

    @Option(names = "-f", paramLabel = "FMT", description = "Format of the first image (qcow2 or raw); probed when absent.")
    String format1;

    @Option(names = "-F", paramLabel = "FMT", description = "Format of the second image (qcow2 or raw); probed when absent.")
    String format2;

    @Option(names = "-s",
            description = "Strict mode: images of different sizes, or with different allocation or block status "
                    + "anywhere, are different even when the content is the same.")
    boolean strict;

    @Option(names = "-q", description = "Print nothing; only the exit status tells.")
    boolean quiet;

    @Mixin
    ForceShareOption forceShare;

    @Parameters(index = "0", paramLabel = "FILE1", description = "The first image.")
    String file1;

    @Parameters(index = "1", paramLabel = "FILE2", description = "The second image.")
    String file2;

    private int errorExitCode = OPEN_FAILED;

    @Override
    public Integer call() throws IOException {
        ImageCompare.Result result;
        PastEnd pastEnd = PastEndWarnings.on(spec.commandLine().getErr());
        try (Image a = Images.open(file1, format1, true, pastEnd); Image b = Images.open(file2, format2, true, pastEnd)) {
            result = ImageCompare.compare(a, b, strict);
        } catch (ImageCompare.Failure e) {
            errorExitCode = e.exitCode();
            throw e;
        }
        if (!quiet) {
            PrintWriter out = spec.commandLine().getOut();
            result.lines().forEach(out::println);
            out.flush();
        }
        return result.exitCode();
    }

    @Override
    public int errorExitCode() {
        return errorExitCode;
    }
}
