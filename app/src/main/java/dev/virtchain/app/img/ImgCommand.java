package dev.virtchain.app.img;

import picocli.CommandLine.Command;

@Command(name = "img",
        mixinStandardHelpOptions = true,
        description = "Inspect, check, compare, create, flatten, rebase and commit qcow2 and raw images and "
                + "backing chains, with qemu-img's words and flags.",
        subcommands = {
                ImgInfoCommand.class,
                ImgMapCommand.class,
                ImgCheckCommand.class,
                ImgCompareCommand.class,
                ImgCreateCommand.class,
                ImgFlattenCommand.class,
                ImgRebaseCommand.class,
                ImgCommitCommand.class,
        },
        footer = {"",
                "Examples:",
                "  virtchain img info --backing-chain --output=json vda.0002.inc.qcow2",
                "  virtchain img map vda.0002.inc.qcow2",
                "  virtchain img check vda.0002.inc.qcow2",
                "  virtchain img compare vda.0002.inc.qcow2 restored/vda.qcow2",
                "  virtchain img flatten vda.0002.inc.qcow2 restored/vda.qcow2"})
public final class ImgCommand {
}
