package dev.virtchain.qcow2.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Runs qemu-img/qemu-io inside one fixture's directory, plus the header pokes qemu cannot do. */
public final class FixtureBuilder {
    private final Path dir;

    FixtureBuilder(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    private void parentOf(String file) {
        try {
            Files.createDirectories(dir.resolve(file).getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code qemu-img ARGS}. */
    public FixtureBuilder img(String... args) {
        Qemu.img(dir, args);
        return this;
    }

    /** {@code qemu-img create -f qcow2 [-o OPTS] FILE SIZE}. */
    public FixtureBuilder qcow2(String file, long size, String opts) {
        parentOf(file);
        if (opts == null || opts.isEmpty()) {
            return img("create", "-q", "-f", "qcow2", file, Long.toString(size));
        }
        return img("create", "-q", "-f", "qcow2", "-o", opts, file, Long.toString(size));
    }

    /** An overlay of {@code backing} (named as it will be written in the header). */
    public FixtureBuilder overlay(String file, String backing, String backingFmt, long size, String opts) {
        parentOf(file);
        List<String> a = new ArrayList<>(List.of("create", "-q", "-f", "qcow2", "-b", backing, "-F", backingFmt));
        if (opts != null && !opts.isEmpty()) {
            a.add("-o");
            a.add(opts);
        }
        a.add(file);
        if (size > 0) {
            a.add(Long.toString(size));
        }
        return img(a.toArray(String[]::new));
    }

    /** A sparse raw file of exactly {@code size} bytes (no rounding). */
    public FixtureBuilder raw(String file, long size) throws IOException {
        Path p = dir.resolve(file);
        Files.createDirectories(p.getParent());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            if (size > 0) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        return this;
    }

    /** {@code qemu-io -f FMT -c CMD ... FILE}. */
    public FixtureBuilder io(String fmt, String file, String... commands) {
        List<String> a = new ArrayList<>(List.of("-f", fmt));
        for (String c : commands) {
            a.add("-c");
            a.add(c);
        }
        a.add(file);
        Qemu.io(dir, a.toArray(String[]::new));
        return this;
    }

    /** Writes {@code qemu-io} commands and then kills qemu-io, leaving a lazy-refcount image dirty. */
    public FixtureBuilder ioKilled(String file, String... commands) {
        List<String> a = new ArrayList<>(List.of("-f", "qcow2"));
        for (String c : commands) {
            a.add("-c");
            a.add(c);
        }
        a.add("-c");
        a.add("sigraise 9");
        a.add(file);
        Qemu.Result r = Qemu.run(dir, "qemu-io", a.toArray(String[]::new));
        if (r.exitCode() == 0) {
            throw new AssertionError("qemu-io was meant to die by SIGKILL: " + r.stdout() + r.stderr());
        }
        return this;
    }

    /** Overwrites bytes of {@code file} at {@code offset}. */
    public FixtureBuilder poke(String file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
        return this;
    }

    /** Cuts (or extends) {@code file} to {@code size} bytes. */
    public FixtureBuilder truncate(String file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.WRITE)) {
            if (size < ch.size()) {
                ch.truncate(size);
            } else {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        return this;
    }

    /** Sets a big-endian u64 header field. */
    public FixtureBuilder pokeLong(String file, long offset, long value) throws IOException {
        return poke(file, offset, ByteBuffer.allocate(8).putLong(value).array());
    }

    /** ORs {@code bits} into the incompatible features field (header offset 72, v3 only). */
    public FixtureBuilder setIncompatible(String file, long bits) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 72);
            b.flip();
            long v = b.getLong() | bits;
            ch.write(ByteBuffer.allocate(8).putLong(v).flip(), 72);
        }
        return this;
    }

    /**
     * Removes the backing format header extension, as images written by old qemu versions
     * (or by {@code qemu-img create -b} before 6.1) lack it; the backing name stays in place.
     */
    public FixtureBuilder dropBackingFormat(String file) throws IOException {
        final int backingFormatExt = 0xe2792aca;
        try (FileChannel ch = FileChannel.open(dir.resolve(file), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(4096);
            ch.read(h, 0);
            int version = h.getInt(4);
            int start = version >= 3 ? h.getInt(100) : 72;
            ByteBuffer kept = ByteBuffer.allocate(4096 - start);
            int pos = start;
            while (pos + 8 <= h.capacity()) {
                int type = h.getInt(pos);
                int len = h.getInt(pos + 4);
                int total = 8 + ((len + 7) & ~7);
                if (type == 0) {
                    break;
                }
                if (type != backingFormatExt) {
                    kept.put(h.array(), pos, total);
                }
                pos += total;
            }
            kept.putLong(0); // end of extensions
            int removedUpTo = pos + 8;
            ByteBuffer region = ByteBuffer.allocate(removedUpTo - start);
            kept.flip();
            region.put(kept.array(), 0, Math.min(kept.limit(), region.capacity())).position(0);
            ch.write(region, start);
        }
        return this;
    }
}
