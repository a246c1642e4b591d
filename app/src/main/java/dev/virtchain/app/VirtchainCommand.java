package dev.virtchain.app;

import dev.virtchain.app.backup.BackupCommand;
import dev.virtchain.app.backup.ListCommand;
import dev.virtchain.app.boot.BootCommand;
import dev.virtchain.app.config.ConfigCommand;
import dev.virtchain.app.img.ImgCommand;
import dev.virtchain.app.offsite.PullCommand;
import dev.virtchain.app.offsite.PushCommand;
import dev.virtchain.app.prune.PruneCommand;
import dev.virtchain.app.restore.RestoreCommand;
import dev.virtchain.app.restore.VerifyCommand;
import dev.virtchain.app.status.StatusCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The top command: its sub-commands, and the options all of them inherit. */
@Command(name = "virtchain",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Backups of libvirt/QEMU virtual machines as plain qcow2 backing chains.",
        subcommands = {BackupCommand.class, ListCommand.class, RestoreCommand.class, BootCommand.class, VerifyCommand.class,
                PruneCommand.class, StatusCommand.class, ConfigCommand.class, PushCommand.class, PullCommand.class,
                ImgCommand.class},
        footer = {"",
                "Examples:",
                "  virtchain backup -d web01 -o /backup/web01",
                "  virtchain backup --all --parallel 2          # every domain, as /etc/virtchain/virtchain.toml says",
                "  virtchain list /backup/web01",
                "  virtchain prune /backup/web01 --keep-daily 7 --keep-weekly 4 --dry-run",
                "  virtchain status /backup --max-age 26h",
                "  virtchain push /backup/web01 s3://backups/web01 --endpoint http://rgw.example:7480",
                "  virtchain img info --backing-chain vda.0003.inc.qcow2",
                "  virtchain img check vda.0000.full.qcow2"})
public final class VirtchainCommand {
    @Option(names = "--debug", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    public boolean debug() {
        return debug;
    }
}
