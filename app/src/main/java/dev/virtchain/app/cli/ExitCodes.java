package dev.virtchain.app.cli;

import dev.virtchain.qcow2.ImageException;
import java.io.IOException;
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

    /** One line that names the object and the problem. */
    public static String describe(Throwable ex) {
        if (ex instanceof ImageException || ex instanceof dev.virtchain.chain.ChainException) {
            return ex.getMessage();
        }
        if (ex instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        if (ex instanceof IOException) {
            return ex.getMessage() != null ? ex.getMessage() : ex.toString();
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory (" + ex.getMessage() + "); this is a bug, please report it with --debug output";
        }
        return ex.toString() + " (run with --debug for details)";
    }

    /** A command whose errors exit with a code other than 1 (qemu-img compare exits 2). */
    public interface ErrorExitCode {
        int errorExitCode();
    }
}
