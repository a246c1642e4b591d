package dev.virtchain.qcow2;

/**
 * How a name is shown to a user: a file name, a backing or data file name, a snapshot or bitmap
 * name. An image may hold any bytes in those (a newline, a NUL, a terminal's escape sequence),
 * and a message must stay one line that cannot rewrite the terminal. {@link #escape} writes a
 * backslash as {@code \\} and each control character (U+0000 to U+001F, U+007F to U+009F) as
 * {@code \0}, {@code \t}, {@code \n}, {@code \r} or {@code \xNN}; everything else stays as it is.
 * JSON output needs none of this: its writer escapes strings its own way.
 */
public final class Names {
    private Names() {
    }

    /** {@code name} on one line, escaped as the class describes; "null" for null. */
    public static String escape(String name) {
        if (name == null) {
            return "null";
        }
        if (plain(name, true)) {
            return name;
        }
        StringBuilder sb = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else {
                appendChar(sb, c);
            }
        }
        return sb.toString();
    }

    /** {@code name} escaped and in single quotes, as messages show a name taken from an image. */
    public static String quote(String name) {
        return "'" + escape(name) + "'";
    }

    /**
     * {@code text} with its control characters escaped, backslashes left alone: for a message
     * whose names are already escaped, so that whatever else it carries (a reason from the
     * operating system, say) cannot break the line either.
     */
    public static String oneLine(String text) {
        if (text == null || plain(text, false)) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            appendChar(sb, text.charAt(i));
        }
        return sb.toString();
    }

    private static boolean plain(String s, boolean backslash) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (control(c) || (backslash && c == '\\')) {
                return false;
            }
        }
        return true;
    }

    private static boolean control(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }

    private static void appendChar(StringBuilder sb, char c) {
        if (!control(c)) {
            sb.append(c);
            return;
        }
        switch (c) {
            case '\0' -> sb.append("\\0");
            case '\t' -> sb.append("\\t");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            default -> sb.append(String.format("\\x%02x", (int) c));
        }
    }
}
