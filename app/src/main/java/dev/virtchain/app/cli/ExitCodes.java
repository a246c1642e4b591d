package dev.virtchain.app.cli;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import dev.virtchain.xml.LibvirtXmlException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;

/**
 * The one place that turns exceptions into a message line and an exit code. The exit code
 * follows the exception's {@link ErrorKind}: USAGE exits 2 with a hint to the command's help,
 * every other kind exits 1 (or the command's own code: qemu-img's for img compare). An exception
 * without a kind is a bug, and says so.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;

    private ExitCodes() {
    }

    /** For errors met while a command runs; {@code debug} says whether --debug was given. */
    public static IExecutionExceptionHandler handler(BooleanSupplier debug) {
        return (ex, cl, parsed) -> {
            if (debug.getAsBoolean()) {
                ex.printStackTrace(cl.getErr());
            }
            return report(ex, cl);
        };
    }

    /** For a command line picocli cannot parse, and for values a command finds wrong before it starts. */
    public static IParameterExceptionHandler usageHandler() {
        return (ex, args) -> report(ex, ex.getCommandLine());
    }

    private static int report(Exception ex, CommandLine cl) {
        cl.getErr().println("virtchain: " + describe(ex));
        ErrorKind kind = kind(ex);
        if (kind == ErrorKind.USAGE) {
            cl.getErr().println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        return exitCode(kind, cl.getCommand());
    }

    /** The exit code of an error of {@code kind} (null: a bug) met by {@code command}. */
    static int exitCode(ErrorKind kind, Object command) {
        if (kind == ErrorKind.USAGE) {
            return USAGE;
        }
        return command instanceof ErrorExitCode c ? c.errorExitCode() : ERROR;
    }

    /**
     * The kind of {@code ex}: its own ({@link ErrorKind#of}); a command line picocli refused is
     * USAGE, libvirt XML that cannot be read CORRUPT (xml-templates knows no kinds); null for an
     * exception the code does not expect.
     */
    static ErrorKind kind(Throwable ex) {
        if (ex instanceof ParameterException) {
            return ErrorKind.USAGE;
        }
        if (ex instanceof LibvirtXmlException) {
            return ErrorKind.CORRUPT;
        }
        return ErrorKind.of(ex);
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
        if (kind(ex) == null) {
            String what = ex instanceof OutOfMemoryError ? "out of memory (" + ex.getMessage() + ")"
                    : "internal error" + (ex.getMessage() != null ? ": " + ex.getMessage() : "");
            return what + "; this is a bug, please report it with --debug output";
        }
        // File system errors carry the file and the reason apart; the JDK's message is the bare path for some.
        if (ex instanceof NoSuchFileException n) {
            return Names.escape(n.getFile()) + ": no such file";
        }
        if (ex instanceof FileSystemException f && f.getFile() != null) {
            return Names.escape(f.getFile()) + (f.getOtherFile() != null ? " -> " + Names.escape(f.getOtherFile()) : "")
                    + ": " + ImageException.reason(f);
        }
        if (ex instanceof IOException io && !(ex instanceof ErrorKind.Kinded)) {
            return ImageException.reason(io);
        }
        return ex.getMessage();
    }

    /** A command whose errors exit with a code other than 1 (qemu-img compare exits 2). */
    public interface ErrorExitCode {
        int errorExitCode();
    }
}
