package dev.virtchain.app.cli;

import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code -c/--connect URI}: the libvirt connection of backup, restore --define, verify --boot and boot. */
public final class ConnectOption {
    public static final String DEFAULT_URI = "qemu:///system";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = {"-c", "--connect"}, paramLabel = "URI", description = "libvirt URI (default: ${DEFAULT-VALUE}).")
    String uri = DEFAULT_URI;

    /** The URI to connect to: the one given, or {@value #DEFAULT_URI}. */
    public String uri() {
        return uri;
    }

    /** The URI given with -c, if one was (boot --stop otherwise uses the one the domain was booted on). */
    public Optional<String> given() {
        return mixee.commandLine().getParseResult().hasMatchedOption("--connect") ? Optional.of(uri) : Optional.empty();
    }
}
