package dev.virtchain.app.img;

import dev.virtchain.app.cli.ForceShareOption;
import dev.virtchain.app.cli.FormatOption;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.OutputFormat;
import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.check.Qcow2Check;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check",
        mixinStandardHelpOptions = true,
        description = {"Check a qcow2 image's refcounts and tables for consistency, as qemu-img check does "
                + "(read-only; nothing is repaired).",
                "Problems are listed on stderr. Exit codes: 0 no errors, 2 corruptions, 3 leaked clusters only, "
                + "1 the check itself failed, 63 the format cannot be checked (raw)."},
        footer = {"",
                "Examples:",
                "  virtchain img check vda.0000.full.qcow2",
                "  virtchain img check --output=json vda.0003.inc.qcow2 | jq '.leaks // 0'"})
public final class ImgCheckCommand implements Callable<Integer> {
    /** qemu-img check's exit code for a format without checks. */
    static final int NOT_SUPPORTED = 63;

    @Spec
    CommandSpec spec;

    @Mixin
    OutputFormat output;

    @Mixin
    FormatOption format;

    @Mixin
    ForceShareOption forceShare;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on stdout; the exit code tells the verdict.")
    boolean quiet;

    @Parameters(paramLabel = "FILE", description = "The image.")
    String file;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // qemu-img opens the backing chain too, so a missing backing file fails the check.
        try (Image image = Images.open(file, format.format(), true)) {
            if (!(image instanceof Qcow2Image qcow2)) {
                err.println("virtchain: This image format does not support checks");
                return NOT_SUPPORTED;
            }
            CheckResult r = Qcow2Check.check(qcow2, err::println);
            if (r.failure() != null) {
                err.println("virtchain: Check failed: " + r.failure());
                return r.exitCode();
            }
            if (!quiet) {
                out.print(output.json() ? Json.pretty(fields(r, image)) + "\n" : human(r));
            }
            out.flush();
            if (r.checkErrors() > 0) {
                err.println("virtchain: Check failed");
            }
            return r.exitCode();
        }
    }

    /** qemu's ImageCheck fields, each present when qemu sets it, in the order qemu-img prints them. */
    static Map<String, Object> fields(CheckResult r, Image image) {
        Map<String, Object> m = new LinkedHashMap<>();
        putNonZero(m, "image-end-offset", r.imageEndOffset());
        putNonZero(m, "compressed-clusters", r.compressedClusters());
        putNonZero(m, "total-clusters", r.totalClusters());
        putNonZero(m, "corruptions", r.corruptions());
        m.put("check-errors", r.checkErrors());
        putNonZero(m, "leaks", r.leaks());
        putNonZero(m, "allocated-clusters", r.allocatedClusters());
        m.put("filename", image.filename());
        m.put("format", image.format());
        putNonZero(m, "fragmented-clusters", r.fragmentedClusters());
        return m;
    }

    private static void putNonZero(Map<String, Object> m, String key, long value) {
        if (value != 0) {
            m.put(key, value);
        }
    }

    /** C's %0.2f of part * 100.0 / whole: the exact double, ties to even (Java's %.2f rounds 0.625 up). */
    static String percent(long part, long whole) {
        return new BigDecimal(part * 100.0 / whole).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** qemu-img check's human summary. */
    static String human(CheckResult r) {
        StringBuilder sb = new StringBuilder();
        if (r.corruptions() == 0 && r.leaks() == 0 && r.checkErrors() == 0) {
            sb.append("No errors were found on the image.\n");
        } else {
            if (r.corruptions() != 0) {
                sb.append('\n').append(r.corruptions()).append(" errors were found on the image.\n")
                        .append("Data may be corrupted, or further writes to the image may corrupt it.\n");
            }
            if (r.leaks() != 0) {
                sb.append('\n').append(r.leaks()).append(" leaked clusters were found on the image.\n")
                        .append("This means waste of disk space, but no harm to data.\n");
            }
            if (r.checkErrors() != 0) {
                sb.append('\n').append(r.checkErrors()).append(" internal errors have occurred during the check.\n");
            }
        }
        if (r.totalClusters() != 0 && r.allocatedClusters() != 0) {
            sb.append(r.allocatedClusters()).append('/').append(r.totalClusters()).append(" = ")
                    .append(percent(r.allocatedClusters(), r.totalClusters())).append("% allocated, ")
                    .append(percent(r.fragmentedClusters(), r.allocatedClusters())).append("% fragmented, ")
                    .append(percent(r.compressedClusters(), r.allocatedClusters())).append("% compressed clusters\n");
        }
        if (r.imageEndOffset() != 0) {
            sb.append("Image end offset: ").append(r.imageEndOffset()).append('\n');
        }
        return sb.toString();
    }
}
