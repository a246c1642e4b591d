package dev.virtchain.app.offsite;

import dev.virtchain.app.cli.Futures;
import dev.virtchain.app.offsite.Bucket.UploadedPart;
import dev.virtchain.app.offsite.LocalSet.LocalFile;
import dev.virtchain.chain.Checksum;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Sends files to a bucket with up to N requests at once. One thread reads each file in order
 * (the checksum needs every byte in order) and hands its parts to the senders; a file of one
 * part goes up in one request. Every part carries its MD5, which the server checks; the file's
 * checksum, computed as it is read, must equal the manifest's before the object is completed, so
 * a local file damaged since its backup never becomes a remote object.
 */
final class Uploader implements AutoCloseable {
    /** Part size: 8 MiB parts kept 4 senders busy on the local RGW; more for files past 10,000 parts. */
    static final int PART = 8 << 20;
    /** S3's most parts of one upload. */
    private static final int MAX_PARTS = 10_000;

    /** What became of one file: the object's ETag as S3 computes it, the file's checksum, bytes not sent again. */
    record Sent(String etag, Checksum checksum, long resumedBytes) {
    }

    private final Bucket bucket;
    private final ExecutorService pool;
    /** Part buffers given back by the senders; see {@link #buffer}. */
    private final java.util.concurrent.LinkedBlockingQueue<byte[]> free = new java.util.concurrent.LinkedBlockingQueue<>();
    private final int maxBuffers;
    private int allocated;
    private final LongConsumer sentBytes;

    Uploader(Bucket bucket, int parallel, LongConsumer sentBytes) {
        this.bucket = bucket;
        this.pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "push");
            t.setDaemon(true);
            return t;
        });
        this.maxBuffers = parallel + 1;
        this.sentBytes = sentBytes;
    }

    /** The part size for a file of {@code size} bytes: {@link #PART}, or a multiple of 1 MiB to stay within 10,000 parts. */
    static int partSize(long size) {
        long need = (size + MAX_PARTS - 1) / MAX_PARTS;
        return (int) Math.max(PART, (need + (1 << 20) - 1) >>> 20 << 20);
    }

    /**
     * Sends {@code f}, resuming multipart upload {@code openUpload} (null: none) where its parts
     * match; {@code expected} is the manifest's checksum of the file, or null for a side file.
     */
    Sent send(LocalFile f, Checksum expected, String openUpload) throws IOException {
        String algorithm = expected != null ? expected.algorithm() : Checksum.CRC32C;
        Checksum.Running sum = Checksum.running(algorithm);
        int part = partSize(f.size());
        try (FileChannel ch = FileChannel.open(f.path(), StandardOpenOption.READ)) {
            if (f.size() <= part) {
                byte[] data = new byte[(int) f.size()];
                readFully(ch, ByteBuffer.wrap(data), 0, f);
                sum.update(ByteBuffer.wrap(data));
                Checksum got = check(f, sum, expected);
                String etag = bucket.put(f.name(), data, Map.of());
                sentBytes.accept(data.length);
                return new Sent(etag, got, 0);
            }
            return sendParts(f, ch, part, sum, expected, openUpload);
        }
    }

    private Sent sendParts(LocalFile f, FileChannel ch, int part, Checksum.Running sum, Checksum expected,
            String openUpload) throws IOException {
        Map<Integer, UploadedPart> have = new HashMap<>();
        String upload = null;
        if (openUpload != null) {
            var parts = bucket.parts(f.name(), openUpload);
            if (parts.isPresent()) {
                upload = openUpload;
                parts.get().forEach(p -> have.put(p.number(), p));
            }
        }
        if (upload == null) {
            upload = bucket.startUpload(f.name(), Map.of());
        }
        int count = (int) ((f.size() + part - 1) / part);
        List<Future<UploadedPart>> sent = new ArrayList<>();
        AtomicLong resumed = new AtomicLong();
        try {
            for (int n = 1; n <= count; n++) {
                long pos = (long) (n - 1) * part;
                int len = (int) Math.min(part, f.size() - pos);
                byte[] data = buffer(part);
                try {
                    readFully(ch, ByteBuffer.wrap(data, 0, len), pos, f);
                } catch (IOException e) {
                    free.add(data);
                    throw e;
                }
                sum.update(ByteBuffer.wrap(data, 0, len));
                int number = n;
                String id = upload;
                UploadedPart old = have.get(n);
                // The MD5 (the server's check, and a part's ETag) is computed by the senders, in parallel.
                sent.add(pool.submit(() -> {
                    try {
                        MessageDigest md = md5();
                        md.update(data, 0, len);
                        byte[] digest = md.digest();
                        String md5hex = HexFormat.of().formatHex(digest);
                        if (old != null && old.size() == len && old.etag().equalsIgnoreCase(md5hex)) {
                            resumed.addAndGet(len);
                            sentBytes.accept(len);
                            return old;
                        }
                        String etag = bucket.uploadPart(f.name(), id, number, data, len,
                                java.util.Base64.getEncoder().encodeToString(digest));
                        if (!md5hex.equalsIgnoreCase(etag)) {
                            throw new OffsiteException(ErrorKind.IO, bucket.object(f.name()) + ": the server stored part "
                                    + number + " with ETag " + etag + ", not the MD5 of what was sent (" + md5hex + ")");
                        }
                        sentBytes.accept(len);
                        return new UploadedPart(number, len, md5hex);
                    } finally {
                        free.add(data);
                    }
                }));
            }
            List<UploadedPart> parts = new ArrayList<>();
            MessageDigest etagOfParts = md5();
            for (Future<UploadedPart> p : sent) {
                UploadedPart u = Futures.await(p, "push interrupted");
                parts.add(u);
                etagOfParts.update(HexFormat.of().parseHex(u.etag()));
            }
            Checksum got;
            try {
                got = check(f, sum, expected);
            } catch (OffsiteException e) {
                bucket.abortUpload(f.name(), upload);
                throw e;
            }
            bucket.completeUpload(f.name(), upload, parts);
            return new Sent(HexFormat.of().formatHex(etagOfParts.digest()) + "-" + count, got, resumed.get());
        } finally {
            for (Future<UploadedPart> p : sent) {
                p.cancel(false);
            }
        }
    }

    /**
     * A part buffer: one of at most {@code parallel + 1}, so that memory stays bounded and the
     * reader stays one part ahead of the senders; waits until a sender gives one back.
     */
    private byte[] buffer(int size) throws InterruptedIOException {
        byte[] b = free.poll();
        if (b == null && allocated < maxBuffers) {
            allocated++;
            return new byte[size];
        }
        try {
            while (b == null || b.length < size) {
                b = b == null ? free.take() : new byte[size];
            }
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("push interrupted");
        }
    }

    /** The checksum of what was read; it must be the manifest's when the manifest names the file. */
    private static Checksum check(LocalFile f, Checksum.Running sum, Checksum expected) throws OffsiteException {
        Checksum got = sum.value();
        if (expected != null && !got.value().equals(expected.value())) {
            throw new OffsiteException(ErrorKind.CORRUPT, f.path() + ": " + got.algorithm() + " is " + got.value()
                    + ", the manifest says " + expected.value() + ": the file is damaged or not the one backed up; "
                    + "not pushed (the remote set is unchanged)");
        }
        return got;
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos, LocalFile f) throws IOException {
        long p = pos;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, p);
            if (n < 0) {
                throw new OffsiteException(ErrorKind.IO, f.path() + " shrank while it was read for the push");
            }
            p += n;
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
