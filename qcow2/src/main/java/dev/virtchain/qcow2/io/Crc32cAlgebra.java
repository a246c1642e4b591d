package dev.virtchain.qcow2.io;

/**
 * CRC-32C as polynomial arithmetic modulo its generator, so that a file's checksum can follow
 * changes to the file without the file being read again ({@link RunningCrc32c}).
 *
 * <p>The bare CRC register (no initial value, no final inversion) of a message M is M(x)·x^32 mod
 * P: linear over GF(2). So the register of M followed by n zero bytes is the register of M times
 * x^(8n), of two messages of the same length xored is the xor of their registers, and a
 * message's standard CRC-32C (register preset to all ones, result inverted, as
 * {@link java.util.zip.CRC32C} computes it) differs from its bare register by a term that
 * depends on the length only. Polynomials are held as CRC-32C holds them, reflected: bit 31 is
 * the coefficient of x^0, bit 0 that of x^31.
 */
public final class Crc32cAlgebra {
    /** P - x^32, reflected: the Castagnoli generator 0x1EDC6F41. */
    private static final int POLY = 0x82F63B78;
    /** x^0, reflected. */
    private static final int ONE = 0x80000000;
    /** x^-1 mod P: (P - 1) / x, which exists because P's constant term is 1. */
    private static final int X_INVERSE = ((POLY & 0x7FFFFFFF) << 1) | 1;
    /** x^(8·2^k) mod P and x^(-8·2^k) mod P, k = 0..62: shifts by a power of two of bytes. */
    private static final int[] ZEROS = new int[63];
    private static final int[] UNZEROS = new int[63];

    static {
        ZEROS[0] = ONE >>> 8; // x^8
        UNZEROS[0] = power(X_INVERSE, 8);
        for (int k = 1; k < ZEROS.length; k++) {
            ZEROS[k] = multiply(ZEROS[k - 1], ZEROS[k - 1]);
            UNZEROS[k] = multiply(UNZEROS[k - 1], UNZEROS[k - 1]);
        }
    }

    private Crc32cAlgebra() {
    }

    /** a·b mod P, both reflected. */
    static int multiply(int a, int b) {
        int product = 0;
        int bTimesX = b; // b·x^i at step i
        for (int i = 0; i < 32; i++) {
            if ((a & (ONE >>> i)) != 0) {
                product ^= bTimesX;
            }
            bTimesX = (bTimesX & 1) != 0 ? (bTimesX >>> 1) ^ POLY : bTimesX >>> 1;
        }
        return product;
    }

    private static int power(int base, int exponent) {
        int result = ONE;
        for (int i = 0; i < exponent; i++) {
            result = multiply(result, base);
        }
        return result;
    }

    /** The bare register {@code register} carried through {@code bytes} zero bytes: times x^(8·bytes). */
    public static int appendZeros(int register, long bytes) {
        return times(register, bytes, ZEROS);
    }

    /** The inverse of {@link #appendZeros}: the register before {@code bytes} zero bytes were appended. */
    public static int removeZeros(int register, long bytes) {
        return times(register, bytes, UNZEROS);
    }

    private static int times(int register, long bytes, int[] powers) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative length " + bytes);
        }
        int r = register;
        for (int k = 0; bytes != 0; k++, bytes >>>= 1) {
            if ((bytes & 1) != 0) {
                r = multiply(r, powers[k]);
            }
        }
        return r;
    }

    /** The bare register of a message of {@code length} bytes whose standard CRC-32C is {@code crc}. */
    public static int register(int crc, long length) {
        return crc ^ ~0 ^ appendZeros(~0, length);
    }

    /** The standard CRC-32C of a message of {@code length} bytes whose bare register is {@code register}. */
    public static int crc(int register, long length) {
        return register(register, length); // the same xor both ways
    }

    /** The standard CRC-32C of {@code length} zero bytes. */
    public static int ofZeros(long length) {
        return crc(0, length);
    }
}
