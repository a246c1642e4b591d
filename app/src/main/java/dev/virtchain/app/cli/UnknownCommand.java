package dev.virtchain.app.cli;

import dev.virtchain.qcow2.Names;
import java.util.Comparator;
import java.util.Optional;
import picocli.CommandLine;

/**
 * Finds a word where a command belongs that names no command: {@code virtchain bakup}, and also
 * {@code virtchain bakup --help}, which picocli would answer with the top-level help and exit 0.
 * The commands that hold subcommands ({@code virtchain}, {@code virtchain img}) take no option
 * with a value, so every word that does not begin with a dash must name one of their commands.
 */
public final class UnknownCommand {
    private UnknownCommand() {
    }

    /**
     * The complaint about the first word of {@code args} that names no command where one belongs,
     * with the closest command when one is near, as {@code unknown command 'bakup'; did you mean
     * 'backup'?}; the command line it belongs to is in {@code where[0]}.
     */
    public static Optional<String> find(CommandLine root, String[] args, CommandLine[] where) {
        CommandLine at = root;
        for (String a : args) {
            if (a.startsWith("-")) {
                continue;
            }
            if (at.getSubcommands().isEmpty()) {
                return Optional.empty();
            }
            CommandLine sub = at.getSubcommands().get(a);
            if (sub == null) {
                where[0] = at;
                String closest = at.getSubcommands().keySet().stream()
                        .min(Comparator.comparingInt(name -> distance(name, a))).orElseThrow();
                boolean near = distance(closest, a) <= Math.max(1, closest.length() / 3);
                return Optional.of("unknown command " + Names.quote(a)
                        + (near ? "; did you mean '" + closest + "'?" : ".") + " The commands of "
                        + at.getCommandSpec().qualifiedName() + ": "
                        + String.join(", ", at.getSubcommands().keySet()) + ".");
            }
            at = sub;
        }
        return Optional.empty();
    }

    /** Levenshtein distance: insertions, deletions and substitutions to turn {@code a} into {@code b}. */
    static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + cost);
                diagonal = above;
            }
        }
        return row[b.length()];
    }
}
