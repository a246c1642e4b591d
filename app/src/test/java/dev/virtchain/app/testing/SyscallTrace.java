package dev.virtchain.app.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the kernel was asked to make durable: a virtchain run under
 * {@code strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2}, and its log read back.
 * {@link #assertDurable} checks the steps of {@code DurableFiles} as the process made them.
 */
public final class SyscallTrace {
    private static final Pattern SYNC = Pattern.compile("^(\\d+)\\s+(fsync|fdatasync)\\(\\d+<(.*)>[,)]");
    private static final Pattern RENAME = Pattern.compile(
            "^(\\d+)\\s+(rename|renameat|renameat2)\\((?:AT_FDCWD(?:<[^>]*>)?, )?\"(.*?)\", (?:AT_FDCWD(?:<[^>]*>)?, )?\"(.*?)\"");

    /** One fsync or rename, in the order the log shows them begin. */
    record Call(int index, String thread, String name, Path path, Path to) {
    }

    private final List<Call> calls;
    private final Path log;

    private SyscallTrace(List<Call> calls, Path log) {
        this.calls = calls;
        this.log = log;
    }

    /** {@code driver} running virtchain under strace, which writes its log to {@code log}. */
    public static CliDriver traced(CliDriver driver, Path log) {
        return driver.under("strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2",
                "-o", log.toString());
    }

    /** The log {@link #traced} wrote, relative names resolved against {@code workDir}. */
    public static SyscallTrace read(Path log, Path workDir) throws IOException {
        List<Call> calls = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher s = SYNC.matcher(line);
            Matcher r = RENAME.matcher(line);
            if (s.find()) {
                calls.add(new Call(calls.size(), s.group(1), s.group(2), workDir.resolve(s.group(3)).normalize(), null));
            } else if (r.find()) {
                calls.add(new Call(calls.size(), r.group(1), "rename", workDir.resolve(r.group(3)).normalize(),
                        workDir.resolve(r.group(4)).normalize()));
            }
        }
        return new SyscallTrace(calls, log);
    }

    /**
     * {@code file} was made durable as DurableFiles makes it: its content was fsynced under a
     * temporary name beside it, renamed to its name, and then, by the thread that renamed it, its
     * directory was fsynced. Looks at the last rename to {@code file}.
     */
    public void assertDurable(Path file) throws IOException {
        Path f = file.toAbsolutePath().normalize();
        Call rename = null;
        for (Call c : calls) {
            if (c.name().equals("rename") && c.to().equals(f)) {
                rename = c;
            }
        }
        assertTrue(rename != null, "no rename to " + f + " in " + log + ":\n" + Files.readString(log));
        Path tmp = rename.path();
        assertEquals(f.getParent(), tmp.getParent(), "written beside " + f);
        Call r = rename;
        assertTrue(calls.stream().anyMatch(c -> c.name().equals("fsync") && c.path().equals(tmp) && c.index() < r.index()),
                tmp + " was fsynced before its rename to " + f + ":\n" + Files.readString(log));
        assertTrue(calls.stream().anyMatch(c -> c.name().equals("fsync") && c.path().equals(f.getParent())
                        && c.thread().equals(r.thread()) && c.index() > r.index()),
                f.getParent() + " was fsynced after the rename to " + f + ":\n" + Files.readString(log));
    }
}
