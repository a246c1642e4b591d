package dev.virtchain.app.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.libvirt.jna.ConnectionPointer;
import org.libvirt.jna.DomainPointer;

/**
 * The libvirt.so calls libvirt-java 0.5.4 lacks or gets wrong, bound with JNA directly:
 * {@code virDomainFSFreeze}/{@code Thaw} are not wrapped at all, and its
 * {@code Domain.getJobStats} never frees the typed parameters libvirt hands back (a leak on
 * every progress poll). Pointers are libvirt-java's own types so both bindings share handles.
 */
interface LibvirtNative extends Library {
    LibvirtNative INSTANCE = Native.load("virt", LibvirtNative.class);

    DomainPointer virDomainLookupByName(ConnectionPointer conn, String name);

    int virDomainFree(DomainPointer dom);

    /**
     * Freezes the guest filesystems mounted at {@code mountpoints} (all of them when null, count 0);
     * returns how many it froze.
     */
    int virDomainFSFreeze(DomainPointer dom, String[] mountpoints, int count, int flags);

    /** Thaws all frozen guest filesystems (libvirt's qemu driver takes no mountpoint list here). */
    int virDomainFSThaw(DomainPointer dom, String[] mountpoints, int count, int flags);

    int virDomainGetJobStats(DomainPointer dom, IntByReference type, PointerByReference params,
            IntByReference count, int flags);

    void virTypedParamsFree(Pointer params, int count);

    /** Returns 1 if found, 0 if absent, -1 on a type mismatch. */
    int virTypedParamsGetULLong(Pointer params, int count, String name, LongByReference value);

    int virTypedParamsGetInt(Pointer params, int count, String name, IntByReference value);

    /** The string stays owned by {@code params}. */
    int virTypedParamsGetString(Pointer params, int count, String name, PointerByReference value);

    /** Returns 0 and fills state and reason, or -1. */
    int virDomainGetState(DomainPointer dom, IntByReference state, IntByReference reason, int flags);

    /**
     * Fills {@code errors} (virDomainDiskError: char *disk, int error; 16 bytes each) and returns
     * their number; with null and 0, returns how many there are. The disk strings are the caller's to free.
     */
    int virDomainGetDiskErrors(DomainPointer dom, Pointer errors, int maxerrors, int flags);

    /** The calling thread's last libvirt error code, 0 if none. */
    int virGetLastErrorCode();

    /** The calling thread's last libvirt error domain (virErrorDomain: where it came from), 0 if none. */
    int virGetLastErrorDomain();

    /** The calling thread's last libvirt error message (never null; "no error" if none). */
    String virGetLastErrorMessage();

    /** virConnectDomainEventJobCompletedCallback: a job of {@code dom} ended (its statistics in {@code params}). */
    interface JobCompletedCallback extends com.sun.jna.Callback {
        void invoke(Pointer conn, Pointer dom, Pointer params, int nparams, Pointer opaque);
    }

    /** Registers {@code cb} for {@code eventID} events of {@code dom}; returns the callback's id, or -1. */
    int virConnectDomainEventRegisterAny(ConnectionPointer conn, DomainPointer dom, int eventID,
            JobCompletedCallback cb, Pointer opaque, Pointer freecb);

    int virConnectDomainEventDeregisterAny(ConnectionPointer conn, int callbackID);

    /** VIR_DOMAIN_EVENT_ID_JOB_COMPLETED (libvirt-domain.h): a domain's job completed, failed or was aborted. */
    int EVENT_ID_JOB_COMPLETED = 21;

    /** virDomainGetJobStats flag: the last completed job, not the running one. */
    int JOB_STATS_COMPLETED = 1;
}
