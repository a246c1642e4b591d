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

/** The top command with all its sub-commands; its own options are {@link TopCommand}'s. */
@Command(name = "virtchain",
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
public final class VirtchainCommand extends TopCommand {
    /**
     * The subcommand {@code name} names, made as picocli would make it, or null when it names none
     * (a test checks this against the annotation's list).
     */
    static Object named(String name) {
        return switch (name) {
            case "backup" -> new BackupCommand();
            case "list" -> new ListCommand();
            case "restore" -> new RestoreCommand();
            case "boot" -> new BootCommand();
            case "verify" -> new VerifyCommand();
            case "prune" -> new PruneCommand();
            case "status" -> new StatusCommand();
            case "config" -> new ConfigCommand();
            case "push" -> new PushCommand();
            case "pull" -> new PullCommand();
            case "img" -> new ImgCommand();
            default -> null;
        };
    }
}
