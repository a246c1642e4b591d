package dev.virtchain.app.cli;

import picocli.CommandLine.Option;

/** {@code --json} of backup, list, verify and boot: the result as JSON on stdout instead of text. */
public final class JsonOption {
    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    public boolean json() {
        return json;
    }
}
