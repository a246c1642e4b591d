package dev.virtchain.app;

import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.JnaPaths;
import dev.virtchain.app.cli.Trace;
import dev.virtchain.app.cli.UnknownCommand;
import dev.virtchain.app.libvirt.Hypervisor;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import picocli.CommandLine;

/** The {@code virtchain} command line. */
public final class Main {
    /** The width of help output that does not go to a terminal. */
    public static final int HELP_WIDTH = 100;

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        Hypervisor.shutdown(); // or the exit waits 0.3 s for libvirt's event loop thread
        Trace.mark("exit " + code);
        System.exit(code);
    }

    /** Runs one command line in-process and returns its exit code; tests drive the CLI through this. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Trace.mark("main");
        JnaPaths.setIfKnown(); // before anything loads a native library
        if (args.length > 0 && args[0].equals("backup")) {
            Hypervisor.preload(); // beside the parsing below: a backup connects right after it
        }
        PrintWriter o = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        Object only = args.length > 0 ? VirtchainCommand.named(args[0]) : null;
        TopCommand root = only != null ? new TopCommand() : new VirtchainCommand();
        CommandLine cl = new CommandLine(root);
        if (only != null) {
            cl.addSubcommand(only); // the one command the line names: see TopCommand
        }
        cl.setOut(o);
        cl.setErr(e);
        cl.setExecutionExceptionHandler(ExitCodes.handler(root::debug));
        cl.setParameterExceptionHandler(ExitCodes.usageHandler());
        // Help as wide as the terminal (picocli asks it only when help is printed), or HELP_WIDTH
        // when not on one, so that the examples of the footers are never wrapped.
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.setUsageHelpAutoWidth(true);
        try {
            CommandLine[] where = new CommandLine[1];
            Optional<String> unknown = UnknownCommand.find(cl, args, where);
            if (unknown.isPresent()) {
                e.println("virtchain: " + unknown.get());
                e.println("Try '" + where[0].getCommandSpec().qualifiedName() + " --help' for more information.");
                return ExitCodes.USAGE;
            }
            return cl.execute(args);
        } finally {
            o.flush();
            e.flush();
        }
    }
}
