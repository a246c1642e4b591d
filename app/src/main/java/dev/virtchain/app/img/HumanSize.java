package dev.virtchain.app.img;

import java.math.BigDecimal;
import java.math.MathContext;

/** Sizes as qemu prints them: three significant digits and a binary suffix ("1 GiB", "348 KiB", "1.5 MiB"). */
final class HumanSize {
    private static final String[] SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

    private HumanSize() {
    }

    static String of(long bytes) {
        // qemu scales by 1024/1000 first so that 1000..1023 print as "0.977 KiB", never "1e+03 B".
        double scaled = bytes / (1000.0 / 1024.0);
        int exp = scaled <= 0 ? 0 : Math.getExponent(scaled) + 1; // frexp's exponent
        int i = (exp - 1) / 10;
        i = Math.max(0, Math.min(i, SUFFIXES.length - 1));
        double value = (double) bytes / (1L << (i * 10));
        String digits = new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        return digits + " " + SUFFIXES[i] + "B";
    }
}
