package dev.virtchain.qcow2.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * What a fuzz input means: one image file, and a few option bytes for the target.
 *
 * <p>An input is the file's bytes as they are, unless it ends in a 16-byte trailer that starts
 * with {@code VCFUZZ}. Then the bytes before the trailer (the body) may be spread out: cut into
 * chunks of 2^chunkBits bytes, chunk i written at offset i * 2^strideBits, holes between, and
 * {@code tail} zero bytes after the last chunk. A qcow2 file with 2 MiB clusters is mostly zeros
 * (its metadata sits at the start of each cluster), so spread out it takes a few KiB of input
 * instead of several MiB, which keeps seeds small and executions fast; the fuzzer can also make
 * large sparse files by changing two bytes.
 *
 * <pre>
 *   trailer offset  0  "VCFUZZ"
 *                   6  chunk bits: 0 = not spread; else 9 + (b % 13), 512 B .. 2 MiB
 *                   7  stride bits: chunk bits + (b % (22 - chunk bits)), at most 2 MiB
 *                   8  tail: u32, zero bytes after the last chunk (at most 4 GiB)
 *                  12  four option bytes, each target's own (0 means the default)
 * </pre>
 *
 * Every byte string decodes to some file: the fuzzer never wastes an execution on a decode error.
 */
public record FuzzInput(byte[] body, int chunkBits, int strideBits, long tail, byte[] options) {
    static final byte[] MAGIC = "VCFUZZ".getBytes(StandardCharsets.US_ASCII);
    static final int TRAILER = 16;
    /** Spreading stops at the largest qcow2 cluster; larger strides would only make files to skip. */
    static final int MAX_STRIDE_BITS = 21;

    /**
     * Writes the file fuzz input {@code args[0]} stands for to {@code args[1]} and prints its
     * option bytes: to look at a finding with qemu-img or a hex dump (see FUZZING.md).
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: FuzzInput INPUT IMAGE");
            System.exit(2);
        }
        FuzzInput in = decode(java.nio.file.Files.readAllBytes(Path.of(args[0])));
        in.writeTo(Path.of(args[1]));
        System.out.printf("%s: %d bytes%s, options %02x %02x %02x %02x%n", args[1], in.fileLength(),
                in.chunkBits() == 0 ? "" : " (spread: chunks of 2^" + in.chunkBits() + " every 2^" + in.strideBits() + ")",
                in.option(0), in.option(1), in.option(2), in.option(3));
    }

    public static FuzzInput decode(byte[] input) {
        int n = input.length;
        if (n < TRAILER || !Arrays.equals(input, n - TRAILER, n - TRAILER + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return new FuzzInput(input, 0, 0, 0, new byte[4]);
        }
        ByteBuffer t = ByteBuffer.wrap(input, n - TRAILER, TRAILER);
        t.position(t.position() + MAGIC.length);
        int c = t.get() & 0xff;
        int s = t.get() & 0xff;
        long tail = t.getInt() & 0xffffffffL;
        byte[] options = new byte[4];
        t.get(options);
        byte[] body = Arrays.copyOf(input, n - TRAILER);
        if (c == 0) {
            return new FuzzInput(body, 0, 0, tail, options);
        }
        int chunkBits = 9 + c % 13;
        int strideBits = chunkBits + s % (MAX_STRIDE_BITS + 1 - chunkBits);
        return new FuzzInput(body, chunkBits, strideBits, tail, options);
    }

    /** Option byte {@code i} as an unsigned value. */
    public int option(int i) {
        return options[i] & 0xff;
    }

    /** The file's length once written. */
    long fileLength() {
        if (chunkBits == 0 || body.length == 0) {
            return body.length + tail;
        }
        long chunks = (body.length + (1L << chunkBits) - 1) >> chunkBits;
        long last = body.length - ((chunks - 1) << chunkBits);
        return ((chunks - 1) << strideBits) + last + tail;
    }

    /** Writes the file, replacing what {@code file} held. */
    public void writeTo(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (chunkBits == 0) {
                ch.write(ByteBuffer.wrap(body), 0);
            } else {
                int chunk = 1 << chunkBits;
                for (int i = 0; (long) i * chunk < body.length; i++) {
                    int from = i * chunk;
                    ch.write(ByteBuffer.wrap(body, from, Math.min(chunk, body.length - from)), (long) i << strideBits);
                }
            }
            long length = fileLength();
            if (length > ch.size()) {
                ch.write(ByteBuffer.allocate(1), length - 1); // a hole up to the last byte
            }
        }
    }

    /**
     * The input for {@code file} with {@code options}: spread out where that is smaller (every
     * nonzero byte kept, so it decodes to the same file), else as it is (with a trailer only for
     * options other than the defaults).
     */
    static byte[] encode(byte[] file, byte... options) {
        byte[] opts = Arrays.copyOf(options, 4);
        byte[] best = null;
        for (int s = 9; s <= MAX_STRIDE_BITS; s++) {
            byte[] spread = spread(file, s, opts);
            if (spread != null && (best == null || spread.length < best.length)) {
                best = spread;
            }
        }
        boolean defaults = Arrays.equals(opts, new byte[4]);
        byte[] plain = defaults && !endsInTrailer(file) ? file : withTrailer(file, 0, 0, 0, opts);
        return best != null && best.length < plain.length ? best : plain;
    }

    private static boolean endsInTrailer(byte[] file) {
        int n = file.length;
        return n >= TRAILER && Arrays.equals(file, n - TRAILER, n - TRAILER + MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** The file spread with stride 2^s and the smallest chunk that keeps every nonzero byte, or null. */
    private static byte[] spread(byte[] file, int s, byte[] opts) {
        long stride = 1L << s;
        long blocks = (file.length + stride - 1) / stride;
        if (blocks < 2) {
            return null;
        }
        int lastStart = (int) ((blocks - 1) * stride);
        int lastUsed = file.length - lastStart;
        while (lastUsed > 0 && file[lastStart + lastUsed - 1] == 0) {
            lastUsed--;
        }
        int used = lastUsed; // the longest nonzero prefix of any block
        for (long b = 0; b < blocks - 1; b++) {
            int start = (int) (b * stride);
            for (int i = start + (int) stride - 1; i >= start + used; i--) {
                if (file[i] != 0) {
                    used = i - start + 1;
                    break;
                }
            }
        }
        int c = Math.max(9, 64 - Long.numberOfLeadingZeros(Math.max(used, 1) - 1L));
        if (c > s) {
            return null;
        }
        int chunk = 1 << c;
        lastUsed = Math.max(lastUsed, 1); // a chunk of its own marks where the last block starts
        byte[] body = new byte[(int) ((blocks - 1) * chunk + lastUsed)];
        for (long b = 0; b < blocks - 1; b++) {
            System.arraycopy(file, (int) (b * stride), body, (int) (b * chunk), chunk);
        }
        System.arraycopy(file, lastStart, body, (int) ((blocks - 1) * chunk), lastUsed);
        long tail = file.length - (lastStart + lastUsed);
        // Decoded as 9 + b % 13 == c (0 would mean not spread) and c + (s - c) == s: see decode.
        return withTrailer(body, c == 9 ? 13 : c - 9, s - c, tail, opts);
    }

    private static byte[] withTrailer(byte[] body, int c, int s, long tail, byte[] opts) {
        ByteBuffer b = ByteBuffer.allocate(body.length + TRAILER);
        b.put(body).put(MAGIC).put((byte) c).put((byte) s).putInt((int) tail).put(opts);
        return b.array();
    }
}
