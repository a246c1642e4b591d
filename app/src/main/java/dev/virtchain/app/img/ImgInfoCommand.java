package dev.virtchain.app.img;

import dev.virtchain.app.cli.ForceShareOption;
import dev.virtchain.app.cli.FormatOption;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.OutputFormat;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.Images;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "info",
        mixinStandardHelpOptions = true,
        description = "Show an image's format, sizes, backing link, snapshots, bitmaps and qcow2 features "
                + "(the fields of qemu-img info).",
        footer = {"",
                "Examples:",
                "  virtchain img info vda.0000.full.qcow2",
                "  virtchain img info --backing-chain vda.0003.inc.qcow2",
                "  virtchain img info --output=json vda.0003.inc.qcow2 | jq '.[\"backing-filename\"]'"})
public final class ImgInfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputFormat output;

    @Option(names = "--backing-chain", description = "Show every image of the backing chain, top first.")
    boolean backingChain;

    @Mixin
    FormatOption format;

    @Mixin
    ForceShareOption forceShare;

    @Parameters(paramLabel = "FILE", description = "The image.")
    String file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Image top = Images.open(file, format.format(), backingChain)) {
            List<Map<String, Object>> infos = new ArrayList<>();
            for (Image layer = top; layer != null; layer = backingChain ? layer.backing() : null) {
                infos.add(ImageInfoView.of(layer));
            }
            if (output.json()) {
                out.println(Json.pretty(backingChain ? infos : infos.get(0)));
            } else {
                for (int i = 0; i < infos.size(); i++) {
                    if (i > 0) {
                        out.println();
                    }
                    out.print(ImageInfoView.human(infos.get(i)));
                }
            }
        }
        out.flush();
        return 0;
    }
}
