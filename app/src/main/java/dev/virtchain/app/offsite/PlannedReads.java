package dev.virtchain.app.offsite;

import dev.virtchain.app.cli.Futures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The reads a flatten will make, known before it starts (the chain's map says which bytes of
 * which object each guest range comes from), fetched ahead of it: neighbouring ranges of one
 * object merged into ranged GETs of up to {@value #MAX_FETCH} bytes, several GETs in flight,
 * started in the order the flatten will need them, and at most {@value #BUDGET} bytes held
 * (a read that needs a fetch not yet started starts it at once, past the budget by that one
 * fetch). Memory is direct pages of {@value #PAGE} bytes, reused: none is allocated per request.
 * A read the plan does not cover is not served here; the caller reads it otherwise.
 */
final class PlannedReads implements AutoCloseable {
    /**
     * 256 KiB pages, direct: the bytes in flight live outside the Java heap, whose collector
     * then neither copies them nor grows the heap for them; little waste on a small fetch.
     */
    static final int PAGE = 256 << 10;
    /** 4 MiB: large enough that a request's cost is small beside its bytes, small beside the budget. */
    static final int MAX_FETCH = 4 << 20;
    /** Bytes of an object not needed that a fetch may span to merge two needed ranges (cheaper than a request). */
    static final long GAP = 256 << 10;
    /** Guest bytes planned together: the ranges of one object within it are merged by their position in the object. */
    static final long WINDOW = 32L << 20;
    /**
     * Bytes fetched and held at once: 32 MiB, room for {@link #PARALLEL} fetches of {@link #MAX_FETCH}
     * bytes. With 48 MiB the bench's restore ran 0.67x its peer (rclone copy back + restore), with
     * 32 MiB 0.62x (another run, similar load), and the direct pages are 16 MiB less of its peak RSS.
     */
    static final long BUDGET = 32L << 20;
    /** GETs in flight at once; the system property {@code virtchain.remote.parallel} overrides it, for measuring. */
    static final int PARALLEL = Integer.getInteger("virtchain.remote.parallel", 8);
    /** A fetch that the flatten has passed by this many guest bytes is dropped, read in full or not. */
    private static final long BEHIND = 96L << 20;

    /** Where fetches read from: fills {@code length} bytes of {@code pages} from {@code pos} of {@code name}. */
    @FunctionalInterface
    interface Source {
        void read(String name, long pos, ByteBuffer[] pages, int length) throws IOException;
    }

    /** Bytes {@code [host, host + length)} of object {@code name}, which the flatten reads for guest offset {@code guest}. */
    record Segment(String name, long host, long length, long guest) {
    }

    /** One ranged GET of the plan and its state. */
    static final class Fetch {
        final String name;
        final long start;
        int length;
        long guest;
        long guestEnd;
        long needed;
        private CompletableFuture<ByteBuffer[]> data;
        private int readers;
        private boolean released;

        Fetch(String name, long start, int length, long guest, long guestEnd, long needed) {
            this.name = name;
            this.start = start;
            this.length = length;
            this.guest = guest;
            this.guestEnd = guestEnd;
            this.needed = needed;
        }

        long end() {
            return start + length;
        }
    }

    private final Source source;
    private final List<Fetch> plan;
    private final Map<String, TreeMap<Long, List<Fetch>>> index = new HashMap<>();
    private final Set<Fetch> held = new LinkedHashSet<>();
    private final ArrayDeque<ByteBuffer> freePages = new ArrayDeque<>();
    private final ExecutorService pool;
    private final long budget;
    private final int parallel;
    private int next;
    private int inFlight;
    private long inMemory;
    private long frontier;
    private long mostHeld;
    private boolean closed;

    PlannedReads(Source source, List<Fetch> plan, long budget, int parallel) {
        this.source = source;
        this.plan = plan;
        this.budget = budget;
        this.parallel = parallel;
        for (Fetch f : plan) {
            index.computeIfAbsent(f.name, n -> new TreeMap<>()).computeIfAbsent(f.start, k -> new ArrayList<>(1)).add(f);
        }
        this.pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "planned-read");
            t.setDaemon(true);
            return t;
        });
        synchronized (this) {
            pump();
        }
    }

    /** The fetches for {@code segments} (in the order the flatten reads them): merged per window, in the order first needed. */
    static List<Fetch> plan(Iterable<Segment> segments) {
        List<Fetch> out = new ArrayList<>();
        List<Segment> window = new ArrayList<>();
        long windowStart = -1;
        for (Segment s : segments) {
            if (windowStart >= 0 && s.guest() - windowStart >= WINDOW) {
                merge(window, out);
                window.clear();
                windowStart = -1;
            }
            if (windowStart < 0) {
                windowStart = s.guest();
            }
            window.add(s);
        }
        merge(window, out);
        return out;
    }

    /** Appends the fetches of one window's segments to {@code out}, ordered by the first guest offset each serves. */
    private static void merge(List<Segment> window, List<Fetch> out) {
        Map<String, List<Segment>> byObject = new LinkedHashMap<>();
        for (Segment s : window) {
            byObject.computeIfAbsent(s.name(), n -> new ArrayList<>()).add(s);
        }
        List<Fetch> fetches = new ArrayList<>();
        for (List<Segment> segs : byObject.values()) {
            segs.sort(Comparator.comparingLong(Segment::host));
            Fetch cur = null;
            for (Segment s : segs) {
                for (long done = 0; done < s.length(); ) {
                    long pos = s.host() + done;
                    long guest = s.guest() + done;
                    if (cur != null && pos >= cur.start && pos <= cur.end() + GAP && pos - cur.start < MAX_FETCH) {
                        long end = Math.min(s.host() + s.length(), cur.start + MAX_FETCH);
                        long n = end - pos;
                        cur.length = (int) (Math.max(cur.end(), end) - cur.start);
                        cur.guest = Math.min(cur.guest, guest);
                        cur.guestEnd = Math.max(cur.guestEnd, guest + n);
                        cur.needed += n;
                        done += n;
                    } else {
                        long n = Math.min(s.length() - done, MAX_FETCH);
                        cur = new Fetch(s.name(), pos, (int) n, guest, guest + n, n);
                        fetches.add(cur);
                        done += n;
                    }
                }
            }
        }
        fetches.sort(Comparator.comparingLong(f -> f.guest));
        out.addAll(fetches);
    }

    /**
     * Copies into {@code dst} what the plan holds from {@code pos} of {@code name}, waiting for its
     * fetch; returns the bytes copied, 0 when the plan does not cover {@code pos}.
     */
    int serve(String name, long pos, ByteBuffer dst) throws IOException {
        Fetch f;
        synchronized (this) {
            f = covering(name, pos);
            if (f == null || closed) {
                return 0;
            }
            if (f.data == null) {
                start(f);
            }
            f.readers++;
        }
        int n = 0;
        try {
            ByteBuffer[] pages = Futures.await(f.data, "interrupted reading from the bucket");
            int off = (int) (pos - f.start);
            n = Math.min(dst.remaining(), f.length - off);
            for (int done = 0; done < n; ) {
                int p = (off + done) / PAGE;
                int in = (off + done) % PAGE;
                int k = Math.min(n - done, PAGE - in);
                dst.put(pages[p].slice(in, k));
                done += k;
            }
            return n;
        } finally {
            synchronized (this) {
                f.readers--;
                f.needed -= n;
                if (n > 0) {
                    frontier = Math.max(frontier, f.guest);
                }
                if (f.needed <= 0 || f.data.isCompletedExceptionally()) {
                    release(f);
                }
                for (Fetch h : List.copyOf(held)) {
                    if (h.guestEnd + BEHIND < frontier && h.data.isDone()) {
                        release(h);
                    }
                }
                pump();
            }
        }
    }

    /**
     * The fetch that holds byte {@code pos} of {@code name}: of those that cover it, the one
     * starting last, which is the one planned for it (an earlier fetch may cover it only with the
     * gap it spans between two of its own ranges).
     */
    private Fetch covering(String name, long pos) {
        TreeMap<Long, List<Fetch>> m = index.get(name);
        if (m == null) {
            return null;
        }
        for (List<Fetch> at : m.subMap(pos - MAX_FETCH, false, pos, true).descendingMap().values()) {
            for (Fetch f : at) {
                if (!f.released && pos < f.end()) {
                    return f;
                }
            }
        }
        return null;
    }

    /** Starts fetches in plan order while the budget and the requests in flight allow. */
    private void pump() {
        while (!closed && next < plan.size() && inFlight < parallel
                && (inMemory == 0 || inMemory + plan.get(next).length <= budget)) {
            Fetch f = plan.get(next++);
            if (f.data == null && !f.released) {
                start(f);
            }
        }
    }

    private void start(Fetch f) {
        int count = (f.length + PAGE - 1) / PAGE;
        ByteBuffer[] pages = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            ByteBuffer p = freePages.poll();
            pages[i] = p != null ? p.clear() : ByteBuffer.allocateDirect(PAGE);
        }
        inMemory += (long) count * PAGE;
        mostHeld = Math.max(mostHeld, inMemory);
        inFlight++;
        held.add(f);
        f.data = CompletableFuture.supplyAsync(() -> {
            try {
                source.read(f.name, f.start, pages, f.length);
                return pages;
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, pool);
        f.data.whenComplete((p, e) -> {
            synchronized (this) {
                inFlight--;
                if (e != null) {
                    giveBack(pages);
                }
                pump();
            }
        });
    }

    /** Drops {@code f}'s bytes once no reader copies from them; a later read of its range is not served here. */
    private void release(Fetch f) {
        if (f.released || f.readers > 0 || f.data == null || !f.data.isDone()) {
            return;
        }
        f.released = true;
        held.remove(f);
        TreeMap<Long, List<Fetch>> m = index.get(f.name);
        List<Fetch> at = m == null ? null : m.get(f.start);
        if (at != null && at.remove(f) && at.isEmpty()) {
            m.remove(f.start);
        }
        if (!f.data.isCompletedExceptionally()) {
            giveBack(f.data.join());
        }
    }

    private void giveBack(ByteBuffer[] pages) {
        inMemory -= (long) pages.length * PAGE;
        for (ByteBuffer p : pages) {
            // Kept for the next fetch while the pages in use and those kept stay within the budget.
            if (inMemory + (long) (freePages.size() + 1) * PAGE <= budget) {
                freePages.add(p);
            }
        }
    }

    /** The most bytes of pages held at once so far. */
    synchronized long mostHeld() {
        return mostHeld;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        pool.shutdownNow();
    }
}
