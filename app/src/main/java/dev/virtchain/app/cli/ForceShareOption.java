package dev.virtchain.app.cli;

import picocli.CommandLine.Option;

/** qemu-img's {@code -U}: accepted so scripts keep working; virtchain opens inputs read-only anyway. */
public final class ForceShareOption {
    @Option(names = {"-U", "--force-share"}, description = "Accepted for qemu-img compatibility; virtchain only reads.")
    boolean forceShare;
}
