package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * What a read does with guest data that a layer maps to bytes past the end of its file. qemu
 * reads them as zeros, so a truncated image reads "fine" and a copy of it holds zeros where the
 * lost clusters were. That is qemu-img's behaviour, which the {@code img} commands keep (with a
 * warning); a backup set is never read that way: a restore of a truncated file must fail.
 * Called from several threads at once (reads run in parallel).
 */
@FunctionalInterface
public interface PastEnd {
    /** qemu's rule, silently: the missing bytes read as zeros. */
    PastEnd ZEROS = (file, guest, host, length, fileSize) -> { };

    /** The rule for backup sets: the read fails, naming the file and where its data should have been. */
    PastEnd FAIL = (file, guest, host, length, fileSize) -> {
        throw new ImageException(ErrorKind.CORRUPT, file, "data for guest offset " + hex(guest) + " lies at "
                + hex(host) + " ("
                + length + " bytes), past end of file (" + hex(fileSize) + "): the file is truncated or damaged");
    };

    /**
     * Data for {@code length} guest bytes from {@code guest} lies at {@code host} of {@code file},
     * which is only {@code fileSize} bytes long: throw to fail the read, return to read zeros.
     */
    void found(String file, long guest, long host, long length, long fileSize) throws ImageException;

    /** qemu's rule, with one warning per file handed to {@code warnings}. */
    static PastEnd zerosWithWarning(Consumer<String> warnings) {
        Set<String> warned = ConcurrentHashMap.newKeySet();
        return (file, guest, host, length, fileSize) -> {
            if (warned.add(file)) {
                warnings.accept(file + ": data for guest offset " + hex(guest) + " lies at " + hex(host)
                        + ", past end of file (" + hex(fileSize) + "); it reads as zeros, as in qemu"
                        + " (the file may be truncated)");
            }
        };
    }
}
