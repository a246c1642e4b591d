package dev.virtchain.app.backup;

import dev.virtchain.app.libvirt.Hypervisor;
import dev.virtchain.app.libvirt.HypervisorException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The thaw watchdog process ({@link ThawWatchdog} starts it): {@code ThawWatchdogMain URI DOMAIN
 * DEADLINE_SECONDS}. It prints "ready", then waits for its stdin. "thawed" from the backup ends it
 * without touching the guest. When stdin closes without it (the backup died: the kernel closes
 * the pipe of a killed process) or the deadline passes first, it thaws the domain's filesystems
 * through libvirt, trying again until it succeeds or {@link #GIVE_UP} passes (an embedded libvirt
 * root serves one process at a time, so it can be reached only once the backup let go of it), and
 * says what it did on stderr, one line. It ignores SIGINT, SIGHUP and SIGTERM, which a terminal or
 * a service manager sends to the whole process group: its parent's end is what it waits for.
 */
public final class ThawWatchdogMain {
    static final String READY = "ready";
    static final String THAWED = "thawed";
    static final String DEADLINE_THAWED = "deadline-thawed";
    /** The first argument of one try to thaw, in a process of its own. */
    static final String THAW_ONCE = "--thaw-once";
    /** How long it keeps trying to thaw. */
    static final Duration GIVE_UP = Duration.ofSeconds(120);
    private static final long RETRY_MS = 250;
    private static final Pattern EMBED_ROOT = Pattern.compile("^qemu:///embed\\?(?:.*&)?root=([^&]+)");

    private ThawWatchdogMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length == 3 && args[0].equals(THAW_ONCE)) {
            thawOnce(args[1], args[2]);
            return;
        }
        for (String sig : new String[] {"INT", "HUP", "TERM"}) {
            Signal.handle(new Signal(sig), SignalHandler.SIG_IGN);
        }
        String uri = args[0];
        String domain = args[1];
        long deadline = Long.parseLong(args[2]);
        PrintStream out = System.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        CompletableFuture<Boolean> told = CompletableFuture.supplyAsync(() -> thawedSaid(in));
        out.println(READY);
        out.flush();
        boolean thawed;
        try {
            thawed = told.get(deadline, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // The backup still runs: it may thaw the guest itself meanwhile, which ends the trying.
            if (thaw(uri, domain, "the guest " + domain + " stayed frozen for " + deadline + " s",
                    () -> told.isDone() && told.getNow(false))) {
                out.println(DEADLINE_THAWED);
                out.flush();
            }
            awaitQuietly(told);
            System.exit(0);
            return;
        } catch (ExecutionException e) {
            thawed = false;
        }
        if (!thawed) {
            thaw(uri, domain, "the backup of " + domain + " ended while the guest was frozen", () -> false);
        }
        System.exit(0);
    }

    /** Reads stdin to its end; whether the backup said it thawed the guest. */
    private static boolean thawedSaid(BufferedReader in) {
        boolean said = false;
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                said |= THAWED.equals(line.strip());
            }
        } catch (IOException e) {
            // a broken pipe ends it as EOF does
        }
        return said;
    }

    private static void awaitQuietly(CompletableFuture<Boolean> told) throws InterruptedException {
        try {
            told.get();
        } catch (ExecutionException e) {
            // its end is all that counts
        }
    }

    /**
     * Thaws {@code domain}, trying until it works or {@link #GIVE_UP} passed; says what it did on
     * stderr. Each try is a process of its own ({@link #thawOnce}): a process whose first open of
     * an embedded libvirt root failed (another process held it) can never open one again ("qemu
     * state driver is not active"), so only a fresh process can try again.
     */
    private static boolean thaw(String uri, String domain, String why, BooleanSupplier needless)
            throws InterruptedException {
        long giveUp = System.nanoTime() + GIVE_UP.toNanos();
        String last = "";
        while (System.nanoTime() - giveUp < 0) {
            if (needless.getAsBoolean()) {
                return false;
            }
            if (embeddedRootBusy(uri)) {
                last = "another process holds the embedded libvirt root";
                Thread.sleep(RETRY_MS);
                continue;
            }
            try {
                Process p = new ProcessBuilder(ThawWatchdog.command(THAW_ONCE, uri, domain))
                        .redirectErrorStream(true).start();
                p.getOutputStream().close();
                String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (p.waitFor() == 0) {
                    System.err.println("virtchain: " + why + "; the thaw watchdog thawed its filesystems");
                    System.err.flush();
                    return true;
                }
                last = said;
            } catch (IOException e) {
                last = e.getMessage();
            }
            Thread.sleep(RETRY_MS);
        }
        System.err.println("virtchain: " + why + ", and the thaw watchdog could not thaw it within "
                + GIVE_UP.toSeconds() + " s (" + last + "); thaw it with: virsh domfsthaw " + domain);
        System.err.flush();
        return false;
    }

    /**
     * One try: connects, asks the agent to thaw (again for a few seconds: a fresh connection to an
     * embedded root reaches the agent only a moment after it opened), exits 0 when it did, else 1
     * with the reason on stdout.
     */
    private static void thawOnce(String uri, String domain) {
        String last;
        try (Hypervisor hv = Hypervisor.connect(uri)) {
            for (int i = 0; i < 40; i++) {
                if (hv.fsThaw(domain)) {
                    System.exit(0);
                }
                Thread.sleep(RETRY_MS);
            }
            last = "no guest agent answered";
        } catch (HypervisorException | RuntimeException e) {
            last = e.getMessage();
        } catch (InterruptedException e) {
            last = "interrupted";
        }
        System.out.println(last);
        System.out.flush();
        System.exit(1);
    }

    /**
     * Whether {@code uri} names an embedded root ({@code qemu:///embed?root=R}) that another
     * process holds: its driver's pid file {@code R/run/qemu/driver.pid} is locked. Each embedded
     * open registers libvirt's QEMU driver once more, and a process has room for about 15, so a
     * watchdog that tried to open a busy root again and again would soon never open it at all.
     * The lock is only tested (fcntl, as libvirt takes it) and released before libvirt opens it.
     */
    static boolean embeddedRootBusy(String uri) {
        Matcher m = EMBED_ROOT.matcher(uri);
        if (!m.find()) {
            return false;
        }
        Path pid = Path.of(URLDecoder.decode(m.group(1), StandardCharsets.UTF_8), "run", "qemu", "driver.pid");
        if (!Files.exists(pid)) {
            return false;
        }
        try (FileChannel c = FileChannel.open(pid, StandardOpenOption.WRITE)) {
            FileLock lock = c.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (IOException e) {
            return false; // let libvirt say what is wrong
        }
    }
}
