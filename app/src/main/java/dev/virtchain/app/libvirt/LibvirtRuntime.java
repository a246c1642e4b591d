package dev.virtchain.app.libvirt;

import org.libvirt.Connect;
import org.libvirt.ErrorCallback;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;

/**
 * Process-wide libvirt setup, done once before the first connection:
 * <ul>
 * <li>libvirt's own log sent to nowhere ({@code LIBVIRT_LOG_OUTPUTS=4:file:/dev/null}, unless the
 * user set it): the embedded driver otherwise prints its version and configuration warnings on
 * every run;</li>
 * <li>an error callback that drops libvirt's own "libvirt: ... error : ..." lines on stderr, since
 * every failure reaches us as an exception that we report in one line;</li>
 * <li>libvirt's default event loop, run on a daemon thread. The embedded driver refuses to open
 * without one ("An event loop implementation must be registered") because qemu's monitor is
 * served from it; remote connections use it for keepalive.</li>
 * </ul>
 */
final class LibvirtRuntime {
    /** Held here so JNA's native callback stub is never collected while libvirt may call it. */
    private static Libvirt.VirErrorCallback quiet;
    private static boolean started;
    /** Why libvirt could not be loaded, once that failed (a class whose init failed cannot be tried again). */
    private static LinkageError unloadable;
    private static Thread loop;
    private static volatile boolean stopping;

    private LibvirtRuntime() {
    }

    static synchronized void ensureStarted() throws LibvirtException {
        if (started) {
            return;
        }
        if (unloadable != null) {
            throw unloadable; // as the first attempt failed: a second one would name a Java class instead
        }
        try {
            quietLogs();
            quiet = new ErrorCallback();
            Connect.setErrorCallback(quiet);
            Library.initEventLoop();
        } catch (LinkageError e) {
            unloadable = e;
            throw e;
        }
        loop = new Thread(LibvirtRuntime::runLoop, "libvirt-event-loop");
        loop.setDaemon(true);
        loop.start();
        started = true;
    }

    /**
     * Starts {@link #ensureStarted} in a daemon thread, for a command that will connect: loading
     * libvirt.so and libvirt-java through JNA takes 0.2 to 0.8 s of CPU, which then runs beside the
     * parsing of the command line instead of after it. A failure is left for the connect to report.
     */
    static void preload() {
        Thread t = new Thread(() -> {
            try {
                ensureStarted();
            } catch (LibvirtException | LinkageError | RuntimeException e) {
                // the connect tries again and reports it
            }
        }, "libvirt-preload");
        t.setDaemon(true);
        t.start();
    }

    private interface LibC extends com.sun.jna.Library {
        int setenv(String name, String value, int overwrite);
    }

    /** Set in the C environment, which libvirt reads when it initialises (not in Java's copy of it). */
    private static void quietLogs() {
        try {
            com.sun.jna.Native.load("c", LibC.class).setenv("LIBVIRT_LOG_OUTPUTS", "4:file:/dev/null", 0);
        } catch (UnsatisfiedLinkError e) {
            // not glibc: libvirt keeps its default logging
        }
    }

    private static void runLoop() {
        while (!stopping) {
            try {
                Library.runEventLoop(); // until stopEventLoop
            } catch (LibvirtException e) {
                // virEventRunDefaultImpl fails only on a broken poll(); keep serving the others.
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Ends the event loop before the JVM exits. A thread blocked inside libvirt's poll() is a
     * thread "in native", and the JVM's exit waits 300 ms for such threads to come back: on
     * every command, a third of a second after all was done. libvirt-java's stopEventLoop wakes
     * the poll through the timer it registered, and the thread returns to Java and ends.
     */
    static synchronized void stop() {
        if (!started || stopping) {
            return;
        }
        stopping = true;
        try {
            Library.stopEventLoop();
            loop.join(200);
        } catch (LibvirtException e) {
            // the exit then waits as it did before
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
