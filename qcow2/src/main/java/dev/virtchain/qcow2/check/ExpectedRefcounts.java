package dev.virtchain.qcow2.check;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;

/**
 * The refcount every cluster should have, built from the metadata that references it (qemu's
 * in-memory refcount table). Pages are allocated only where clusters are referenced, so a
 * sparse file claiming terabytes costs memory only for what its metadata really points at;
 * a page budget turns a hostile image into an error instead of an OutOfMemoryError.
 */
final class ExpectedRefcounts {
    private static final int PAGE_BITS = 13; // 8192 clusters, 64 KiB of longs
    private static final int PAGE_SIZE = 1 << PAGE_BITS;

    private final String file;
    private final long refcountMax;
    private final long maxPages;
    private long[][] pages;
    private long size;
    private long allocatedPages;

    /**
     * @param clusters    clusters the array covers at first (the file's clusters)
     * @param refcountMax the largest refcount the image's refcount width can hold
     */
    ExpectedRefcounts(String file, long clusters, long refcountMax) {
        this.file = file;
        this.refcountMax = refcountMax;
        this.size = clusters;
        this.pages = new long[(int) pageCount(clusters)][];
        // Leave room for everything else the JVM holds; a page costs PAGE_SIZE * 8 bytes.
        this.maxPages = Math.max(16, Runtime.getRuntime().maxMemory() / 2 / (PAGE_SIZE * 8L));
    }

    private static long pageCount(long clusters) {
        return (clusters + PAGE_SIZE - 1) >>> PAGE_BITS;
    }

    /** Clusters covered; qemu grows it when a reference reaches into the last, partial cluster. */
    long size() {
        return size;
    }

    long get(long cluster) {
        if (cluster < 0 || cluster >= size) {
            return 0;
        }
        long[] page = pages[(int) (cluster >>> PAGE_BITS)];
        return page == null ? 0 : page[(int) (cluster & (PAGE_SIZE - 1))];
    }

    /** True when no cluster in [from, to) is referenced. */
    boolean noneIn(long from, long to) {
        for (long p = from >>> PAGE_BITS; p < pages.length && (p << PAGE_BITS) < to; p++) {
            long[] page = pages[(int) p];
            if (page == null) {
                continue;
            }
            int lo = (int) Math.max(0, from - (p << PAGE_BITS));
            int hi = (int) Math.min(PAGE_SIZE, to - (p << PAGE_BITS));
            for (int i = lo; i < hi; i++) {
                if (page[i] != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Adds one reference to {@code cluster}, growing the array to reach it.
     *
     * @return false when the refcount is already at the width's maximum (qemu reports an overflow)
     */
    boolean increment(long cluster) throws ImageException {
        if (cluster >= size) {
            grow(cluster + 1);
        }
        int p = (int) (cluster >>> PAGE_BITS);
        long[] page = pages[p];
        if (page == null) {
            if (++allocatedPages > maxPages) {
                throw new ImageException(ErrorKind.UNSUPPORTED, file,
                        "check needs more memory for its refcount array than the heap allows ("
                        + allocatedPages * PAGE_SIZE + " clusters referenced)");
            }
            page = new long[PAGE_SIZE];
            pages[p] = page;
        }
        int i = (int) (cluster & (PAGE_SIZE - 1));
        if (Long.compareUnsigned(page[i], refcountMax) >= 0) {
            return false;
        }
        page[i]++;
        return true;
    }

    private void grow(long clusters) {
        long needed = pageCount(clusters);
        if (needed > pages.length) {
            long[][] bigger = new long[(int) needed][];
            System.arraycopy(pages, 0, bigger, 0, pages.length);
            pages = bigger;
        }
        size = clusters;
    }
}
