package dev.virtchain.app.cli;

import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine.IExecutionExceptionHandler;

/** The one place that turns exceptions into a message line and an exit code. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;

    private ExitCodes() {
    }

    public static IExecutionExceptionHandler handler(VirtchainCommand root) {
        return (ex, cl, parsed) -> {
            if (root.debug()) {
                ex.printStackTrace(cl.getErr());
            }
            cl.getErr().println("virtchain: " + describe(ex));
            Object cmd = cl.getCommand();
            return cmd instanceof ErrorExitCode c ? c.errorExitCode() : ERROR;
        };
    }

    /**
     * One line that names the object and the problem. Names in it are escaped ({@link Names});
     * whatever else a message carries cannot break the line either. No Java class name is shown:
     * an exception the code does not expect is a bug, and says so.
     */
    public static String describe(Throwable ex) {
        return Names.oneLine(text(ex));
    }

    private static String text(Throwable ex) {
        if (ex instanceof ImageException || ex instanceof dev.virtchain.chain.ChainException) {
            return ex.getMessage();
        }
        if (ex instanceof NoSuchFileException n) {
            return Names.escape(n.getFile()) + ": no such file";
        }
        if (ex instanceof FileSystemException f && f.getFile() != null) {
            // The JDK's message is the bare path for some errors (access denied); the reason is what went wrong.
            return Names.escape(f.getFile()) + (f.getOtherFile() != null ? " -> " + Names.escape(f.getOtherFile()) : "")
                    + ": " + ImageException.reason(f);
        }
        if (ex instanceof IOException io) {
            return ImageException.reason(io);
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "); this is a bug, please report it with --debug output";
        }
        return "internal error" + (ex.getMessage() != null ? ": " + ex.getMessage() : "")
                + "; this is a bug, please report it with --debug output";
    }

    /** A command whose errors exit with a code other than 1 (qemu-img compare exits 2). */
    public interface ErrorExitCode {
        int errorExitCode();
    }
}
