package dev.virtchain.app.offsite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PlannedReadsTest {
    private static final int MIB = 1 << 20;

    /** Objects held in memory, each range read as a ranged GET would: counted, and checked against the object's end. */
    private static final class Objects implements PlannedReads.Source {
        final Map<String, byte[]> bytes;
        final AtomicInteger requests = new AtomicInteger();

        Objects(Map<String, byte[]> bytes) {
            this.bytes = bytes;
        }

        @Override
        public void read(String name, long pos, ByteBuffer[] pages, int length) throws IOException {
            requests.incrementAndGet();
            byte[] b = bytes.get(name);
            assertTrue(pos + length <= b.length, name + " read past its end");
            for (int done = 0, p = 0; done < length; p++) {
                int n = Math.min(pages[p].capacity(), length - done);
                pages[p].clear().put(b, (int) pos + done, n);
                done += n;
            }
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void neighbouringRangesOfAnObjectBecomeOneFetchAndFarOnesDoNot() {
        List<PlannedReads.Segment> segs = List.of(
                new PlannedReads.Segment("full", 0, MIB, 0),
                new PlannedReads.Segment("inc", 5 * MIB, 64 << 10, MIB),
                new PlannedReads.Segment("full", MIB + (128 << 10), MIB, MIB + (64 << 10)), // a gap under GAP: merged
                new PlannedReads.Segment("inc", 90 * MIB, 64 << 10, 3 * MIB), // far from the first: its own
                new PlannedReads.Segment("full", 20 * MIB, MIB, 4 * MIB)); // past GAP: its own
        List<PlannedReads.Fetch> plan = PlannedReads.plan(segs);
        assertEquals(4, plan.size());
        assertEquals("full", plan.get(0).name);
        assertEquals(0, plan.get(0).start);
        assertEquals(2 * MIB + (128 << 10), plan.get(0).length);
        assertEquals(2L * MIB, plan.get(0).needed, "the gap is fetched, not needed");
        assertEquals("inc", plan.get(1).name);
        assertEquals(5L * MIB, plan.get(1).start);
        assertEquals(90L * MIB, plan.get(2).start);
        assertEquals(20L * MIB, plan.get(3).start);
    }

    @Test
    void noFetchIsLargerThanTheLargestFetch() {
        List<PlannedReads.Fetch> plan = PlannedReads.plan(List.of(new PlannedReads.Segment("full", 0, 20L * MIB, 0)));
        assertEquals(5, plan.size());
        for (PlannedReads.Fetch f : plan) {
            assertTrue(f.length <= PlannedReads.MAX_FETCH, f.length + " bytes in one fetch");
        }
        assertEquals(16L * MIB, plan.get(4).start);
        assertEquals(4 * MIB, plan.get(4).length);
    }

    /**
     * A flatten's reads, made as the flatten makes them (several readers, each a guest chunk,
     * a little out of order): every byte served is the object's byte at that position, the
     * merged ranges take fewer requests than the reads, and the bytes held stay within the budget.
     */
    @Test
    void readsAcrossMergedRangesReturnExactlyTheBytesOfTheObjects() throws Exception {
        Map<String, byte[]> bytes = Map.of("full", random(64 * MIB, 1), "inc", random(16 * MIB, 2));
        Objects source = new Objects(bytes);
        Random r = new Random(3);
        List<PlannedReads.Segment> segs = new ArrayList<>();
        long guest = 0;
        long fullPos = 0;
        // The inc's 256 slots of 64 KiB, each read once, in any order (as an inc's clusters lie).
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            slots.add(i);
        }
        java.util.Collections.shuffle(slots, r);
        while (fullPos < 60L * MIB) {
            int len = (1 + r.nextInt(16)) * (64 << 10);
            if (r.nextInt(4) == 0 && !slots.isEmpty()) {
                len = 64 << 10;
                segs.add(new PlannedReads.Segment("inc", slots.remove(0) * (long) len, len, guest));
                fullPos += len; // the full's bytes under it are not read
            } else {
                len = (int) Math.min(len, 64L * MIB - fullPos);
                segs.add(new PlannedReads.Segment("full", fullPos, len, guest));
                fullPos += len;
            }
            guest += len;
        }
        List<PlannedReads.Fetch> plan = PlannedReads.plan(segs);
        assertTrue(plan.size() < segs.size(), plan.size() + " fetches for " + segs.size() + " ranges");
        long budget = 8L * MIB;
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try (PlannedReads planned = new PlannedReads(source, plan, budget, 4)) {
            List<Future<?>> done = new ArrayList<>();
            for (PlannedReads.Segment s : segs) {
                done.add(readers.submit(() -> {
                    ByteBuffer dst = ByteBuffer.allocate((int) s.length());
                    int served = 0;
                    // in pieces, as a reader of 64 KiB clusters would
                    while (dst.hasRemaining()) {
                        ByteBuffer piece = dst.slice(dst.position(), Math.min(dst.remaining(), 96 << 10));
                        int n = planned.serve(s.name(), s.host() + served, piece);
                        assertTrue(n > 0, "a planned read is served (up to the end of its fetch)");
                        dst.position(dst.position() + n);
                        served += n;
                    }
                    byte[] want = new byte[(int) s.length()];
                    System.arraycopy(bytes.get(s.name()), (int) s.host(), want, 0, want.length);
                    assertArrayEquals(want, dst.array(), s.toString());
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertTrue(planned.mostHeld() <= budget + PlannedReads.MAX_FETCH * 4L, planned.mostHeld() + " bytes held");
        } finally {
            readers.shutdownNow();
        }
        assertEquals(plan.size(), source.requests.get(), "one request per fetch");
    }

    @Test
    void aReadThePlanDoesNotCoverIsLeftToTheCaller() throws Exception {
        Objects source = new Objects(Map.of("full", random(4 * MIB, 4)));
        try (PlannedReads planned = new PlannedReads(source,
                PlannedReads.plan(List.of(new PlannedReads.Segment("full", MIB, MIB, 0))), 8L * MIB, 2)) {
            assertEquals(0, planned.serve("full", 0, ByteBuffer.allocate(4096)));
            assertEquals(0, planned.serve("other", MIB, ByteBuffer.allocate(4096)));
            assertEquals(4096, planned.serve("full", MIB, ByteBuffer.allocate(4096)));
        }
    }

    @Test
    void aFailedFetchFailsTheReadWithTheSourcesMessage() throws Exception {
        PlannedReads.Source failing = (name, pos, pages, length) -> {
            throw new OffsiteException(ErrorKind.IO, "cannot read s3://b/set/" + name + ": http://rgw answered 500");
        };
        try (PlannedReads planned = new PlannedReads(failing,
                PlannedReads.plan(List.of(new PlannedReads.Segment("vda.0001.inc.qcow2", 0, MIB, 0))), 8L * MIB, 2)) {
            IOException e = assertThrows(IOException.class,
                    () -> planned.serve("vda.0001.inc.qcow2", 0, ByteBuffer.allocate(4096)));
            assertEquals("cannot read s3://b/set/vda.0001.inc.qcow2: http://rgw answered 500", e.getMessage());
        }
    }
}
