package dev.virtchain.app.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** qemu-img's {@code -f FMT}: the format of the image argument, probed when absent. */
public final class FormatOption {
    @Option(names = {"-f", "--format"}, paramLabel = "FMT", description = "Image format (qcow2 or raw); probed when absent.")
    String format;

    public String format() {
        return format;
    }

    /** For commands that only make sense on qcow2 (rebase, commit). */
    public void requireQcow2(CommandSpec spec) {
        if (format != null && !format.equals("qcow2")) {
            throw new ParameterException(spec.commandLine(), "-f " + format + ": only qcow2 images have a backing file");
        }
    }
}
