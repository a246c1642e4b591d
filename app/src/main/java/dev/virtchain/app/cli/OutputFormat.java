package dev.virtchain.app.cli;

import picocli.CommandLine.Option;

/** qemu-img's {@code --output=human|json}, shared by the img commands. */
public final class OutputFormat {
    public enum Kind { human, json }

    @Option(names = "--output", paramLabel = "FMT", defaultValue = "human",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Kind kind = Kind.human;

    public boolean json() {
        return kind == Kind.json;
    }
}
