import java.io.File;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The AsciiDoc man pages of a picocli command and all its subcommands (picocli-codegen's
 * ManPageGenerator), run by the build as a single-file program:
 * {@code java -cp JAR:CODEGEN ManPages.java OUTDIR COMMAND-CLASS}.
 * Our commands put their examples in the footer, after a line "Examples:", without a footer
 * heading; ManPageGenerator leaves out a footer without a heading, so that line becomes it.
 */
public final class ManPages {
    public static void main(String[] args) throws Exception {
        CommandLine root = new CommandLine(Class.forName(args[1]).getDeclaredConstructor().newInstance());
        headFooters(root);
        int code = ManPageGenerator.generateManPage(new File(args[0]), null, new boolean[0], true, root.getCommandSpec());
        System.exit(code);
    }

    private static void headFooters(CommandLine command) {
        CommandSpec spec = command.getCommandSpec();
        String[] footer = spec.usageMessage().footer();
        int first = 0;
        while (first < footer.length && footer[first].isBlank()) {
            first++;
        }
        if (spec.usageMessage().footerHeading().isEmpty() && first < footer.length) {
            if (footer[first].equals("Examples:")) {
                spec.usageMessage().footerHeading("Examples");
                first++;
            } else {
                spec.usageMessage().footerHeading("Notes");
            }
            spec.usageMessage().footer(Arrays.copyOfRange(footer, first, footer.length));
        }
        for (CommandLine sub : command.getSubcommands().values()) {
            headFooters(sub);
        }
    }
}
