package dev.virtchain.qcow2.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The rule "a test that writes an image asks qemu-img check" (DEVELOPERS.md, Habits), read off
 * the test sources: every test method (and {@code @BeforeEach}/{@code @BeforeAll}) whose body
 * makes an image through our code must ask for a check in its own body or through a helper method
 * of the same file. It is a net, not a proof: one check in a method satisfies it for every image
 * the method makes.
 *
 * <p>A statement that cannot leave a qcow2 image does not count as making one: a call inside
 * {@code assertThrows}, a run for {@code --help} or with raw output, and a command whose result
 * the method asserts failed ({@code assertEquals(1, r.exitCode())}).
 */
public final class CheckRule {
    /** Ways a test makes an image through our code: the library, the CLI, the IT helpers that run it. */
    private static final Pattern MAKES = Pattern.compile("Flattener\\.flatten\\(|Committer\\.commit\\(|Rebaser\\.rebase\\("
            + "|Qcow2Writer\\.(?:create|open)\\(|new BackupRun\\("
            + "|\"img\",\\s*\"(?:flatten|convert|commit|rebase|create)\"|\\(\\s*\"(?:restore|backup|boot)\"\\s*,"
            + "|PushBackups\\.(?:targets|createTarget)\\(|\\bvm\\.(?:backup|run)\\(");
    /** Ways a test asks qemu-img check: the helpers, or qemu-img run with "check". */
    private static final Pattern CHECKS = Pattern.compile("Qemu\\.assert(?:Clean|NoCorruption)\\(|\"check\""
            + "|CheckOracle\\.qemu\\(|BackupDirs\\.assert(?:Consistent|ImagesClean)\\(");
    /** In the statement of a call that makes nothing qemu-img check could judge. */
    private static final Pattern NO_QCOW2 = Pattern.compile("\"--help\"|\"-O\",\\s*\"raw\"|withFormat\\(\"raw\"\\)"
            + "|\\(\\s*\"raw\"\\s*[,)]");
    private static final Pattern ASSIGNED = Pattern.compile("(\\w+)\\s*=[^=]*$");
    private static final Pattern LIFECYCLE_OR_TEST = Pattern.compile(
            "@(?:Test|ParameterizedTest|RepeatedTest|Property|Example|BeforeEach|BeforeAll)\\b");
    private static final Pattern DECLARATION = Pattern.compile("(?m)^[ \\t]*(?:(?:public|protected|private|static"
            + "|final|synchronized|abstract|default)\\s+)*(?:<[^>]+>\\s+)?([\\w.]+(?:<[^()]*?>)?(?:\\[])*)\\s+(\\w+)\\s*\\(");
    private static final Set<String> NOT_METHODS = Set.of("return", "new", "else", "throw", "if", "for", "while",
            "switch", "catch", "synchronized", "try", "do");
    private static final Pattern CALL = Pattern.compile("\\b(\\w+)\\s*\\(");

    private CheckRule() {
    }

    /**
     * The test methods under {@code sources} that make an image and never ask for a check, as
     * {@code File.java:line method}, less those named in {@code exempt} ({@code Class#method} to
     * why); an exemption that no longer matches anything is ignored.
     */
    public static List<String> unchecked(Path sources, Map<String, String> exempt) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String name = f.getFileName().toString();
                String cls = name.substring(0, name.length() - ".java".length());
                for (Method m : new SourceFile(Files.readString(f)).uncheckedTests()) {
                    if (!exempt.containsKey(cls + "#" + m.name())) {
                        found.add(name + ":" + m.line() + " " + m.name());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private record Method(String name, int line, String body, boolean test) {
    }

    /** One source file: its methods, and which of them make or check images, directly or through each other. */
    private static final class SourceFile {
        private final String code;
        private final Map<String, List<Method>> methods = new HashMap<>();

        SourceFile(String source) {
            code = blankComments(source);
            Matcher d = DECLARATION.matcher(code);
            while (d.find()) {
                if (NOT_METHODS.contains(d.group(1)) || NOT_METHODS.contains(d.group(2))) {
                    continue;
                }
                int open = bodyStart(d.end() - 1);
                if (open < 0) {
                    continue;
                }
                String body = code.substring(open, skip(open));
                int line = (int) code.substring(0, d.start()).chars().filter(c -> c == '\n').count() + 1;
                methods.computeIfAbsent(d.group(2), k -> new ArrayList<>())
                        .add(new Method(d.group(2), line, body, annotatedAsTest(d.start())));
            }
        }

        List<Method> uncheckedTests() {
            List<Method> out = new ArrayList<>();
            for (List<Method> overloads : methods.values()) {
                for (Method m : overloads) {
                    if (m.test() && makes(m.body(), new HashSet<>()) && !checks(m.body(), new HashSet<>())) {
                        out.add(m);
                    }
                }
            }
            out.sort((a, b) -> Integer.compare(a.line(), b.line()));
            return out;
        }

        /** Whether {@code body} makes an image that a check could judge, itself or through a helper. */
        private boolean makes(String body, Set<String> seen) {
            Matcher m = MAKES.matcher(body);
            while (m.find()) {
                if (!leavesNoQcow2(body, m.start())) {
                    return true;
                }
            }
            Matcher c = CALL.matcher(body);
            while (c.find()) {
                String callee = c.group(1);
                if (methods.containsKey(callee) && !leavesNoQcow2(body, c.start()) && seen.add(callee)
                        && methods.get(callee).stream().anyMatch(h -> makes(h.body(), seen))) {
                    return true;
                }
            }
            return false;
        }

        private boolean checks(String body, Set<String> seen) {
            if (CHECKS.matcher(body).find()) {
                return true;
            }
            Matcher c = CALL.matcher(body);
            while (c.find()) {
                String callee = c.group(1);
                if (methods.containsKey(callee) && seen.add(callee)
                        && methods.get(callee).stream().anyMatch(h -> checks(h.body(), seen))) {
                    return true;
                }
            }
            return false;
        }

        /** The statement around {@code at} expects a failure, asks for help or for raw output. */
        private static boolean leavesNoQcow2(String body, int at) {
            int start = Math.max(Math.max(body.lastIndexOf(';', at), body.lastIndexOf('{', at)), body.lastIndexOf('}', at));
            int end = body.indexOf(';', at);
            String before = body.substring(start + 1, at);
            String statement = body.substring(start + 1, end < 0 ? body.length() : end);
            if (before.contains("assertThrows(") || NO_QCOW2.matcher(statement).find()) {
                return true;
            }
            Matcher v = ASSIGNED.matcher(before);
            return v.find() && Pattern.compile("assertEquals\\(\\s*[12]\\s*,\\s*" + v.group(1) + "\\.exit(?:Code)?\\(\\)")
                    .matcher(body).find();
        }

        /** The annotation lines just above a declaration name a test or a setup method. */
        private boolean annotatedAsTest(int declaration) {
            int end = declaration;
            int start = end;
            while (start > 0) {
                int lineStart = code.lastIndexOf('\n', start - 2) + 1;
                String line = code.substring(lineStart, start).strip();
                if (!line.startsWith("@") && (line.endsWith(";") || line.endsWith("{") || line.endsWith("}"))) {
                    break; // the end of the member before
                }
                start = lineStart;
            }
            return LIFECYCLE_OR_TEST.matcher(code.substring(start, end)).find();
        }

        /** After a declaration's opening parenthesis: the body's '{', or -1 for an abstract method or a call. */
        private int bodyStart(int paren) {
            int depth = 0;
            int i = paren;
            for (; i < code.length(); i = skip(i)) {
                char c = code.charAt(i);
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    break;
                }
            }
            Matcher rest = Pattern.compile("\\G\\s*(?:throws\\s+[\\w.,\\s]+)?\\{").matcher(code);
            return rest.find(i + 1) ? rest.end() - 1 : -1;
        }

        /** The index after the token at {@code i}: a whole string or char literal, a whole braced block, or one char. */
        private int skip(int i) {
            char c = code.charAt(i);
            if (code.startsWith("\"\"\"", i)) {
                return code.indexOf("\"\"\"", i + 3) + 3;
            }
            if (c == '"' || c == '\'') {
                int j = i + 1;
                while (code.charAt(j) != c) {
                    j += code.charAt(j) == '\\' ? 2 : 1;
                }
                return j + 1;
            }
            if (c == '{') {
                int j = i + 1;
                while (code.charAt(j) != '}') {
                    j = skip(j);
                }
                return j + 1;
            }
            return i + 1;
        }

        /** The source with its comments turned into spaces (line breaks kept), string literals left alone. */
        private static String blankComments(String s) {
            StringBuilder b = new StringBuilder(s);
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (s.startsWith("//", i) || s.startsWith("/*", i)) {
                    int end = s.startsWith("//", i) ? s.indexOf('\n', i) : s.indexOf("*/", i + 2) + 2;
                    end = end < i ? s.length() : end;
                    for (int j = i; j < end; j++) {
                        if (b.charAt(j) != '\n') {
                            b.setCharAt(j, ' ');
                        }
                    }
                    i = end;
                } else if (s.startsWith("\"\"\"", i)) {
                    i = s.indexOf("\"\"\"", i + 3) + 3;
                } else if (c == '"' || c == '\'') {
                    int j = i + 1;
                    while (s.charAt(j) != c) {
                        j += s.charAt(j) == '\\' ? 2 : 1;
                    }
                    i = j + 1;
                } else {
                    i++;
                }
            }
            return b.toString();
        }
    }
}
