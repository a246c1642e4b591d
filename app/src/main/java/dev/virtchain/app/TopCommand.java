package dev.virtchain.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The top command's own name, texts and options, without its subcommands: what {@link Main}
 * builds when the command line names its subcommand first, so that picocli reads the annotations
 * of that one command instead of all of them (the whole model took 0.13 s of every run, a third
 * of a prune's fixed cost). {@link VirtchainCommand} adds the subcommands and is the command as
 * the help, the man pages and the completion see it.
 */
@Command(name = "virtchain",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Backups of libvirt/QEMU virtual machines as plain qcow2 backing chains.")
public class TopCommand {
    @Option(names = "--debug", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    public boolean debug() {
        return debug;
    }
}
