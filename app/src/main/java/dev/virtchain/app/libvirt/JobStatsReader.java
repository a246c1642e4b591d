package dev.virtchain.app.libvirt;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.libvirt.jna.DomainPointer;

/** A domain's job statistics read through JNA (virDomainGetJobStats's typed parameters), which libvirt-java lacks. */
final class JobStatsReader {
    private JobStatsReader() {
    }

    static JobStats read(DomainPointer p, int flags) throws HypervisorException {
        LibvirtNative n = LibvirtNative.INSTANCE;
        IntByReference type = new IntByReference();
        PointerByReference params = new PointerByReference();
        IntByReference count = new IntByReference();
        if (n.virDomainGetJobStats(p, type, params, count, flags) < 0) {
            throw LibvirtHypervisor.lastError();
        }
        Pointer ps = params.getValue();
        int c = count.getValue();
        try {
            long processed = ullong(ps, c, "disk_processed", ullong(ps, c, "data_processed", 0));
            long total = ullong(ps, c, "disk_total", ullong(ps, c, "data_total", 0));
            long remaining = ullong(ps, c, "disk_remaining", ullong(ps, c, "data_remaining", Math.max(0, total - processed)));
            IntByReference operation = new IntByReference();
            if (ps == null || n.virTypedParamsGetInt(ps, c, "operation", operation) != 1) {
                operation.setValue(0);
            }
            String error = null;
            PointerByReference errmsg = new PointerByReference();
            if (ps != null && n.virTypedParamsGetString(ps, c, "errmsg", errmsg) == 1 && errmsg.getValue() != null) {
                error = errmsg.getValue().getString(0);
            }
            return new JobStats(JobStats.Type.of(type.getValue()), operation.getValue(), processed, total, remaining, error);
        } finally {
            if (ps != null) {
                n.virTypedParamsFree(ps, c);
            }
        }
    }

    private static long ullong(Pointer params, int count, String name, long otherwise) {
        LongByReference v = new LongByReference();
        return params != null && LibvirtNative.INSTANCE.virTypedParamsGetULLong(params, count, name, v) == 1
                ? v.getValue() : otherwise;
    }
}
