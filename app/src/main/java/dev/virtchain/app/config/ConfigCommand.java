package dev.virtchain.app.config;

import picocli.CommandLine.Command;

@Command(name = "config",
        mixinStandardHelpOptions = true,
        description = {"The config file of backups over several domains (backup --all): "
                + "/etc/virtchain/virtchain.toml, or the one --config names.",
                "A [defaults] table sets what every domain gets (uri, root, level, checksum, freeze, "
                + "freeze_mountpoints, start_paused, pre_hook, post_hook, hook_timeout, auto_full, include, exclude, "
                + "skip, parallel and the keep table: last, hourly, daily, weekly, monthly, yearly, within); "
                + "a [domain.\"NAME\"] or [domain.\"GLOB\"] table sets the same keys (not uri and parallel) for the "
                + "domains it names. Each domain gets the built-in defaults, then [defaults], then every glob section "
                + "that matches it in the file's order, then its own section, then the command line's options; "
                + "a later layer's keys win. A section's keep table replaces the keep rules below it; keep = {} "
                + "means no prune."},
        subcommands = {ConfigCheckCommand.class},
        footer = {"",
                "Examples:",
                "  virtchain config check",
                "  virtchain config check --config ./virtchain.toml -d web01 -d db01",
                "  virtchain config check --json"})
public final class ConfigCommand {
}
