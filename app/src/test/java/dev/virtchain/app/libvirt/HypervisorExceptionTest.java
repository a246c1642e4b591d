package dev.virtchain.app.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtchain.qcow2.ErrorKind;
import org.junit.jupiter.api.Test;

/** A libvirt error's kind follows its code (virErrorNumber), never its message. */
class HypervisorExceptionTest {
    @Test
    void theKindFollowsLibvirtsErrorCode() {
        assertEquals(ErrorKind.NOT_FOUND, new HypervisorException("domain vm: no such domain", 42, null).kind());
        assertEquals(ErrorKind.NOT_FOUND, new HypervisorException("no checkpoint named c", 103, null).kind());
        assertEquals(ErrorKind.UNSUPPORTED, new HypervisorException("this function is not supported", 3, null).kind());
        assertEquals(ErrorKind.UNSUPPORTED, new HypervisorException("Operation not supported", 84, null).kind());
        assertEquals(ErrorKind.CONFLICT, new HypervisorException("domain is not running", 55, null).kind());
        assertEquals(ErrorKind.IO, new HypervisorException("internal error: qemu said no", 1, null).kind());
        assertEquals(ErrorKind.IO, new HypervisorException("cannot connect").kind());
        assertEquals(ErrorKind.UNSUPPORTED, new HypervisorException(ErrorKind.UNSUPPORTED, "not here").kind());
    }

    @Test
    void aMissingOrBrokenBitmapIsToldByItsCodeNotByItsWords() {
        HypervisorException broken = new HypervisorException("domain vm1: backup begin: checkpoint inconsistent: "
                + "missing or broken bitmap 'virtchain.5e7a1c2b.0000' for disk 'vda'", 109, null);
        assertTrue(broken.isCheckpointInconsistent());
        assertEquals(ErrorKind.CORRUPT, broken.kind());
        assertFalse(new HypervisorException("internal error: bitmap 'x' is busy", 1, null).isCheckpointInconsistent(),
                "a message that names a bitmap is no broken checkpoint");
        assertFalse(new HypervisorException("cannot create a transient domain on fake:///").isCheckpointInconsistent());
    }
}
