package dev.virtchain.app.img;

import picocli.CommandLine.Command;

@Command(name = "img",
        mixinStandardHelpOptions = true,
        description = "Inspect qcow2 and raw images and backing chains, with qemu-img's words and flags.",
        subcommands = {ImgInfoCommand.class, ImgMapCommand.class, ImgCheckCommand.class},
        footer = {"",
                "Examples:",
                "  virtchain img info --backing-chain --output=json vda.0002.inc.qcow2",
                "  virtchain img map vda.0002.inc.qcow2",
                "  virtchain img check vda.0002.inc.qcow2"})
public final class ImgCommand {
}
