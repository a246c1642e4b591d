package dev.virtchain.app.backup;

import java.io.PrintWriter;
import java.io.Writer;

/**
 * A domain's stderr in a run of several at once: each whole line goes to the shared stream with
 * the domain's name after "virtchain: " (or before the line), so lines of parallel backups never
 * mix within a line and always say whose they are.
 */
final class PrefixedLines extends Writer {
    private final PrintWriter target;
    private final String name;
    private final StringBuilder line = new StringBuilder();

    PrefixedLines(PrintWriter target, String name) {
        this.target = target;
        this.name = name;
    }

    /** A PrintWriter onto a new PrefixedLines. */
    static PrintWriter of(PrintWriter target, String name) {
        return new PrintWriter(new PrefixedLines(target, name), true);
    }

    @Override
    public synchronized void write(char[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = buf[i];
            if (c == '\n') {
                emit();
            } else if (c != '\r') {
                line.append(c);
            }
        }
    }

    private void emit() {
        String l = line.toString().replace("\033[K", "");
        line.setLength(0);
        if (l.isBlank()) {
            return;
        }
        String out = l.startsWith("virtchain: ") ? "virtchain: " + name + ": " + l.substring(11) : name + ": " + l.strip();
        synchronized (target) {
            target.println(out);
            target.flush();
        }
    }

    @Override
    public synchronized void flush() {
        // whole lines only: a partial line waits for its end
    }

    @Override
    public synchronized void close() {
        if (line.length() > 0) {
            emit();
        }
    }
}
