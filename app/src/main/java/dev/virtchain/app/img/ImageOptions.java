package dev.virtchain.app.img;

import dev.virtchain.qcow2.format.Qcow2Header;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** qemu-img's {@code -o key=value,...} options and size arguments ("64M", "1.5G", "512"). */
final class ImageOptions {
    private final Map<String, String> values;

    private ImageOptions(Map<String, String> values) {
        this.values = values;
    }

    static ImageOptions parse(CommandSpec spec, String text, Set<String> allowed) {
        Map<String, String> m = new LinkedHashMap<>();
        if (text != null && !text.isEmpty()) {
            for (String part : text.split(",")) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? part : part.substring(0, eq);
                String value = eq < 0 ? "on" : part.substring(eq + 1);
                if (!allowed.contains(key)) {
                    throw new ParameterException(spec.commandLine(), "-o " + key + ": unknown option (known: "
                            + String.join(", ", allowed) + ")");
                }
                m.put(key, value);
            }
        }
        return new ImageOptions(m);
    }

    String get(String key) {
        return values.get(key);
    }

    boolean flag(CommandSpec spec, String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new ParameterException(spec.commandLine(), "-o " + key + "=" + v + ": expected on or off");
        };
    }

    /** log2 of {@code cluster_size}, or {@code fallback}. */
    int clusterBits(CommandSpec spec, int fallback) {
        String v = values.get("cluster_size");
        if (v == null) {
            return fallback;
        }
        long size = size(spec, "cluster_size", v);
        if (Long.bitCount(size) != 1 || size < 512 || size > (2 << 20)) {
            throw new ParameterException(spec.commandLine(), "-o cluster_size=" + v
                    + ": must be a power of two from 512 to 2M");
        }
        return Long.numberOfTrailingZeros(size);
    }

    int compressionType(CommandSpec spec) {
        String v = values.getOrDefault("compression_type", "zlib");
        return switch (v) {
            case "zlib" -> Qcow2Header.COMPRESSION_ZLIB;
            case "zstd" -> Qcow2Header.COMPRESSION_ZSTD;
            default -> throw new ParameterException(spec.commandLine(), "-o compression_type=" + v
                    + ": expected zlib or zstd");
        };
    }

    /** log2 of {@code refcount_bits}, or {@code fallback}. */
    int refcountOrder(CommandSpec spec, int fallback) {
        String v = values.get("refcount_bits");
        if (v == null) {
            return fallback;
        }
        long bits = size(spec, "refcount_bits", v);
        if (Long.bitCount(bits) != 1 || bits > 64) {
            throw new ParameterException(spec.commandLine(), "-o refcount_bits=" + v + ": must be 1, 2, 4, 8, 16, 32 or 64");
        }
        return Long.numberOfTrailingZeros(bits);
    }

    /** A size as qemu-img reads it: bytes, or a number with a binary suffix K, M, G, T, P, E (k and b too). */
    static long size(CommandSpec spec, String what, String text) {
        String t = text.trim();
        long mult = 1;
        if (!t.isEmpty()) {
            char last = Character.toUpperCase(t.charAt(t.length() - 1));
            int shift = "BKMGTPE".indexOf(last) * 10;
            if (shift >= 0) {
                mult = 1L << shift;
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            java.math.BigDecimal n = new java.math.BigDecimal(t).multiply(java.math.BigDecimal.valueOf(mult));
            if (n.signum() < 0) {
                throw new NumberFormatException();
            }
            return n.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), what + " '" + text
                    + "': expected a size such as 1048576, 64M or 1.5G");
        }
    }
}
