package dev.virtchain.app.img;

import dev.virtchain.app.cli.ForceShareOption;
import dev.virtchain.app.cli.FormatOption;
import dev.virtchain.app.cli.OutputFormat;
import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.read.ChainMap;
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

@Command(name = "map",
        mixinStandardHelpOptions = true,
        description = "Show which layer of the chain holds each guest range and where (the entries of qemu-img map).",
        footer = {"",
                "Examples:",
                "  virtchain img map vda.0002.inc.qcow2",
                "  virtchain img map --output=json vda.0002.inc.qcow2"})
public final class ImgMapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputFormat output;

    @Mixin
    FormatOption format;

    @Mixin
    ForceShareOption forceShare;

    @Parameters(paramLabel = "FILE", description = "The image.")
    String file;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (Image top = Images.open(file, format.format(), true)) {
            if (output.json()) {
                StringBuilder sb = new StringBuilder("[");
                boolean[] first = {true};
                ChainMap.walk(top, e -> {
                    if (!first[0]) {
                        sb.append(",\n");
                    }
                    first[0] = false;
                    sb.append("{ \"start\": ").append(e.start()).append(", \"length\": ").append(e.length())
                            .append(", \"depth\": ").append(e.depth()).append(", \"present\": ").append(e.present())
                            .append(", \"zero\": ").append(e.zero()).append(", \"data\": ").append(e.data());
                    if (e.hasOffset()) {
                        sb.append(", \"offset\": ").append(e.offset());
                    }
                    sb.append('}');
                });
                out.println(sb.append(']'));
            } else {
                out.printf("%-16s%-16s%-16s%s%n", "Offset", "Length", "Mapped to", "File");
                ChainMap.walk(top, e -> {
                    if (e.data() && !e.hasOffset()) {
                        // The human layout has no way to show where compressed data lives; qemu-img stops too.
                        out.flush();
                        throw new ImageException(ErrorKind.UNSUPPORTED,
                                file, "contains compressed clusters (or data without a host "
                                + "offset), which the human map cannot show; use --output=json");
                    }
                    if (e.data() && !e.zero()) {
                        out.printf("%-16s%-16s%-16s%s%n", hex(e.start()), hex(e.length()), hex(e.offset()),
                                fileAt(top, e));
                    }
                });
            }
        }
        out.flush();
        return 0;
    }

    private static String hex(long v) {
        return v == 0 ? "0" : "0x" + Long.toHexString(v);
    }

    private static String fileAt(Image top, MapEntry e) {
        Image layer = top;
        for (int i = 0; i < e.depth(); i++) {
            layer = layer.backing();
        }
        return Names.escape(layer.dataFilename()); // a backing or data file name may hold any byte
    }
}
