package dev.virtchain.app.libvirt;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainCheckpoint;
import org.libvirt.LibvirtException;
import org.libvirt.jna.ConnectionPointer;
import org.libvirt.jna.DomainPointer;

/** {@link Hypervisor} on libvirt-java 0.5.4, with {@link LibvirtNative} for what it lacks. */
final class LibvirtHypervisor implements Hypervisor {
    // Flag values from libvirt-domain.h / libvirt-domain-checkpoint.h / libvirt-qemu.h.
    private static final int START_PAUSED = 1;                  // VIR_DOMAIN_START_PAUSED
    private static final int UNDEFINE_CHECKPOINTS_METADATA = 16; // keep no stale checkpoint files
    private static final int CHECKPOINT_LIST_TOPOLOGICAL = 2;    // parents before children
    private static final int CHECKPOINT_CREATE_REDEFINE = 1;
    private static final int CHECKPOINT_DELETE_METADATA_ONLY = 2;
    private static final int CHECKPOINT_XML_NO_DOMAIN = 2;       // leave the domain's XML out
    private static final int CHECKPOINT_XML_SIZE = 4;            // each disk's bytes changed since the checkpoint
    private static final int BACKUP_BEGIN_REUSE_EXTERNAL = 1;    // targets are our pre-created overlays
    private static final int MONITOR_COMMAND_HMP = 1;
    private static final int XML_INACTIVE = 2;                   // VIR_DOMAIN_XML_INACTIVE: the persistent definition
    private static final int OPERATION_INVALID = 55;            // VIR_ERR_OPERATION_INVALID: domain not running

    private final OpenConnect conn;
    private final String uri;

    private LibvirtHypervisor(OpenConnect conn, String uri) {
        this.conn = conn;
        this.uri = uri;
    }

    static LibvirtHypervisor open(String uri) throws HypervisorException {
        try {
            LibvirtRuntime.ensureStarted();
            return new LibvirtHypervisor(new OpenConnect(uri), uri);
        } catch (LibvirtException e) {
            throw failure("cannot connect to " + uri, e);
        } catch (LinkageError e) {
            // No libvirt.so: JNA's UnsatisfiedLinkError, or libvirt-java's class init failing on it.
            // JNA's message says what the loader missed; a class init failure's names a Java class, so not that.
            String why = e instanceof UnsatisfiedLinkError && e.getMessage() != null ? " (" + e.getMessage() + ")" : "";
            throw new HypervisorException("cannot connect to " + uri + ": cannot load libvirt.so" + why
                    + "; install libvirt (Debian: apt-get install libvirt-clients)", -1, e);
        }
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public DomainRef domain(String name) throws HypervisorException {
        return onDomain(name, "lookup", d -> new DomainRef(d.getName(), d.getUUIDString()));
    }

    @Override
    public List<String> domainNames() throws HypervisorException {
        try {
            java.util.TreeSet<String> names = new java.util.TreeSet<>(List.of(conn.listDefinedDomains()));
            for (int id : conn.listDomains()) {
                Domain d;
                try {
                    d = conn.domainLookupByID(id);
                } catch (LibvirtException gone) {
                    continue; // stopped (and, transient, gone) since the list was made
                }
                try {
                    names.add(d.getName());
                } finally {
                    free(d);
                }
            }
            return List.copyOf(names);
        } catch (LibvirtException e) {
            throw failure("listing the domains on " + uri, e);
        }
    }

    @Override
    public String define(String domainXml) throws HypervisorException {
        Domain d;
        try {
            d = conn.domainDefineXML(domainXml);
        } catch (LibvirtException e) {
            throw failure("cannot define domain", e);
        }
        try {
            return d.getName();
        } catch (LibvirtException e) {
            throw failure("defined domain", e);
        } finally {
            free(d);
        }
    }

    @Override
    public String createTransient(String domainXml) throws HypervisorException {
        Domain d;
        try {
            d = conn.domainCreateXML(domainXml, 0);
        } catch (LibvirtException e) {
            throw failure("cannot create domain", e);
        }
        try {
            return d.getName();
        } catch (LibvirtException e) {
            throw failure("created domain", e);
        } finally {
            free(d);
        }
    }

    @Override
    public void undefine(String domain) throws HypervisorException {
        onDomain(domain, "undefine", d -> {
            d.undefine(UNDEFINE_CHECKPOINTS_METADATA);
            return null;
        });
    }

    @Override
    public String domainXml(String domain) throws HypervisorException {
        return onDomain(domain, "domain XML", d -> d.getXMLDesc(0));
    }

    @Override
    public String inactiveXml(String domain) throws HypervisorException {
        return onDomain(domain, "inactive domain XML", d -> d.isPersistent() == 1 ? d.getXMLDesc(XML_INACTIVE) : null);
    }

    @Override
    public boolean isActive(String domain) throws HypervisorException {
        return onDomain(domain, "is active", d -> d.isActive() == 1);
    }

    @Override
    public void start(String domain, boolean paused) throws HypervisorException {
        onDomain(domain, "start", d -> d.create(paused ? START_PAUSED : 0));
    }

    @Override
    public void suspend(String domain) throws HypervisorException {
        onDomain(domain, "suspend", d -> {
            d.suspend();
            return null;
        });
    }

    @Override
    public void resume(String domain) throws HypervisorException {
        onDomain(domain, "resume", d -> {
            d.resume();
            return null;
        });
    }

    @Override
    public void destroy(String domain) throws HypervisorException {
        onDomain(domain, "destroy", d -> {
            d.destroy();
            return null;
        });
    }

    @Override
    public List<String> checkpointNames(String domain) throws HypervisorException {
        return onDomain(domain, "list checkpoints", d -> List.of(d.checkpointListNames(CHECKPOINT_LIST_TOPOLOGICAL)));
    }

    @Override
    public String checkpointXml(String domain, String checkpoint) throws HypervisorException {
        return onCheckpoint(domain, checkpoint, "checkpoint XML", c -> c.getXMLDesc(0));
    }

    @Override
    public String checkpointSizeXml(String domain, String checkpoint) throws HypervisorException {
        return onCheckpoint(domain, checkpoint, "size", c -> c.getXMLDesc(CHECKPOINT_XML_NO_DOMAIN | CHECKPOINT_XML_SIZE));
    }

    @Override
    public void redefineCheckpoint(String domain, String checkpointXml) throws HypervisorException {
        onDomain(domain, "redefine checkpoint", d -> {
            DomainCheckpoint c = d.checkpointCreateXML(checkpointXml, CHECKPOINT_CREATE_REDEFINE);
            c.free();
            return null;
        });
    }

    @Override
    public void deleteCheckpoint(String domain, String checkpoint, boolean metadataOnly) throws HypervisorException {
        onCheckpoint(domain, checkpoint, "delete", c -> c.delete(metadataOnly ? CHECKPOINT_DELETE_METADATA_ONLY : 0));
    }

    @Override
    public void backupBegin(String domain, String backupXml, String checkpointXml) throws HypervisorException {
        onDomain(domain, "backup begin", d -> {
            d.backupBegin(backupXml, checkpointXml, BACKUP_BEGIN_REUSE_EXTERNAL);
            return null;
        });
    }

    @Override
    public String backupXml(String domain) throws HypervisorException {
        return onDomain(domain, "backup XML", d -> d.getBackupXMLDesc(0));
    }

    @Override
    public JobStats jobStats(String domain) throws HypervisorException {
        return onDomainPointer(domain, "job stats", p -> {
            JobStats now = JobStatsReader.read(p, 0);
            return now != null && now.type() != JobStats.Type.NONE ? now : JobStatsReader.read(p, LibvirtNative.JOB_STATS_COMPLETED);
        });
    }

    @Override
    public AutoCloseable onJobEnd(String domain, Runnable ended) throws HypervisorException {
        LibvirtNative n = LibvirtNative.INSTANCE;
        // Held by the returned handle: JNA's native stub must live as long as libvirt may call it.
        LibvirtNative.JobCompletedCallback cb = (c, dom, params, nparams, opaque) -> ended.run();
        int id = onDomainPointer(domain, "job events", p -> n.virConnectDomainEventRegisterAny(conn.pointer(), p,
                LibvirtNative.EVENT_ID_JOB_COMPLETED, cb, null, null));
        if (id < 0) {
            return null; // a driver without the event: the caller polls
        }
        return new AutoCloseable() {
            private final LibvirtNative.JobCompletedCallback held = cb;

            @Override
            public void close() {
                if (held != null) {
                    n.virConnectDomainEventDeregisterAny(conn.pointer(), id);
                }
            }
        };
    }

    @Override
    public void abortJob(String domain) throws HypervisorException {
        onDomain(domain, "abort job", Domain::abortJob);
    }

    @Override
    public boolean fsFreeze(String domain) throws HypervisorException {
        return fsFreeze(domain, List.of()) >= 0;
    }

    @Override
    public int fsFreeze(String domain, List<String> mountpoints) throws HypervisorException {
        String[] points = mountpoints.isEmpty() ? null : mountpoints.toArray(String[]::new);
        return onDomainPointer(domain, "fs freeze", p -> {
            int frozen = LibvirtNative.INSTANCE.virDomainFSFreeze(p, points, mountpoints.size(), 0);
            return agentCall(frozen) ? frozen : -1;
        });
    }

    @Override
    public boolean fsThaw(String domain) throws HypervisorException {
        return onDomainPointer(domain, "fs thaw", p -> agentCall(LibvirtNative.INSTANCE.virDomainFSThaw(p, null, 0, 0)));
    }

    @Override
    public boolean agentPing(String domain, int timeoutSeconds) throws HypervisorException {
        try {
            return onDomain(domain, "guest agent ping", d -> {
                d.qemuAgentCommand("{\"execute\":\"guest-ping\"}", timeoutSeconds, 0);
                return true;
            });
        } catch (HypervisorException e) {
            if (e.isAgentUnavailable() || e.code() == OPERATION_INVALID) {
                return false; // no agent channel, nobody listening yet, or the domain stopped
            }
            throw e;
        }
    }

    @Override
    public DomainState state(String domain) throws HypervisorException {
        return onDomainPointer(domain, "state", p -> {
            IntByReference state = new IntByReference();
            IntByReference reason = new IntByReference();
            if (LibvirtNative.INSTANCE.virDomainGetState(p, state, reason, 0) < 0) {
                throw lastError();
            }
            return new DomainState(state.getValue(), reason.getValue());
        });
    }

    @Override
    public int blockJob(String domain, String target) throws HypervisorException {
        return onDomain(domain, "disk " + target + ": block job", d -> {
            org.libvirt.DomainBlockJobInfo info = d.getBlockJobInfo(target, 0);
            return info == null ? 0 : info.type;
        });
    }

    @Override
    public java.util.Map<String, Integer> diskErrors(String domain) throws HypervisorException {
        return onDomainPointer(domain, "disk errors", p -> {
            LibvirtNative n = LibvirtNative.INSTANCE;
            int count = n.virDomainGetDiskErrors(p, null, 0, 0);
            if (count <= 0) {
                if (count < 0) {
                    throw lastError();
                }
                return java.util.Map.of();
            }
            com.sun.jna.Memory errors = new com.sun.jna.Memory(16L * count); // {char *disk; int error;}
            int got = n.virDomainGetDiskErrors(p, errors, count, 0);
            if (got < 0) {
                throw lastError();
            }
            java.util.Map<String, Integer> out = new java.util.TreeMap<>();
            for (int i = 0; i < got; i++) {
                Pointer disk = errors.getPointer(16L * i);
                out.put(disk.getString(0), errors.getInt(16L * i + 8));
                com.sun.jna.Native.free(Pointer.nativeValue(disk));
            }
            return out;
        });
    }

    @Override
    public String hmp(String domain, String command) throws HypervisorException {
        return onDomain(domain, "monitor command '" + command + "'", d -> d.qemuMonitorCommand(command, MONITOR_COMMAND_HMP));
    }

    @Override
    public void close() throws HypervisorException {
        try {
            conn.close();
        } catch (LibvirtException e) {
            throw failure("closing " + uri, e);
        }
    }

    // ---- libvirt-java calls

    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException, HypervisorException;
    }

    private interface CheckpointCall<T> {
        T apply(DomainCheckpoint c) throws LibvirtException;
    }

    private <T> T onDomain(String name, String step, DomainCall<T> call) throws HypervisorException {
        Domain d = lookup(name);
        try {
            return call.apply(d);
        } catch (LibvirtException e) {
            throw failure("domain " + name + ": " + step, e);
        } finally {
            free(d);
        }
    }

    private <T> T onCheckpoint(String domain, String checkpoint, String step, CheckpointCall<T> call)
            throws HypervisorException {
        return onDomain(domain, "checkpoint " + checkpoint + ": " + step, d -> {
            // libvirt-java 0.5.4 returns null here instead of raising libvirt's error; it is still
            // this thread's last error.
            DomainCheckpoint c = d.checkpointLookupByName(checkpoint);
            if (c == null) {
                HypervisorException e = lastError();
                if (e.isNoCheckpoint()) {
                    throw new HypervisorException("domain " + domain + ": no checkpoint named " + checkpoint,
                            e.code(), null);
                }
                throw new HypervisorException("domain " + domain + ": checkpoint " + checkpoint + ": " + step + ": "
                        + e.getMessage(), e.code(), null);
            }
            try {
                return call.apply(c);
            } finally {
                c.free();
            }
        });
    }

    private Domain lookup(String name) throws HypervisorException {
        try {
            return conn.domainLookupByName(name);
        } catch (LibvirtException e) {
            if (code(e) == HypervisorException.NO_DOMAIN) {
                throw new HypervisorException("domain " + name + ": no such domain on " + uri,
                        HypervisorException.NO_DOMAIN, e);
            }
            throw failure("domain " + name + ": lookup", e);
        }
    }

    private static void free(Domain d) {
        try {
            d.free();
        } catch (LibvirtException e) {
            // Freeing a handle fails only on a bad pointer; nothing to do about it here.
        }
    }

    /**
     * libvirt's virErrorNumber. libvirt-java keeps it as an enum whose ordinals are libvirt's codes up
     * to VIR_ERR_MULTIPLE_DOMAINS (110; CHECKPOINT_INCONSISTENT is 109); a later code arrives as its
     * VIR_ERR_UNKNOWN, whose ordinal is no code of libvirt's: -1.
     */
    private static int code(LibvirtException e) {
        org.libvirt.Error.ErrorNumber n = e.getError() == null ? null : e.getError().getCode();
        return n == null || n == org.libvirt.Error.ErrorNumber.VIR_ERR_UNKNOWN ? -1 : n.ordinal();
    }

    private static HypervisorException failure(String what, LibvirtException e) {
        String message = e.getError() != null ? e.getError().getMessage() : e.getMessage();
        return new HypervisorException(what + ": " + oneLine(message), code(e), origin(e), e);
    }

    /** libvirt's virErrorDomain: libvirt-java's enum keeps libvirt's order, as for the codes. */
    private static int origin(LibvirtException e) {
        org.libvirt.Error.ErrorDomain d = e.getError() == null ? null : e.getError().getDomain();
        return d == null ? 0 : d.ordinal();
    }

    private static String oneLine(String s) {
        return s == null ? "unknown libvirt error" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    // ---- direct JNA calls

    private interface PointerCall<T> {
        T apply(DomainPointer p) throws HypervisorException;
    }

    private <T> T onDomainPointer(String name, String step, PointerCall<T> call) throws HypervisorException {
        LibvirtNative n = LibvirtNative.INSTANCE;
        DomainPointer p = n.virDomainLookupByName(conn.pointer(), name);
        if (p == null) {
            int code = n.virGetLastErrorCode();
            if (code == HypervisorException.NO_DOMAIN) {
                throw new HypervisorException("domain " + name + ": no such domain on " + uri, code, null);
            }
            throw new HypervisorException("domain " + name + ": lookup: " + oneLine(n.virGetLastErrorMessage()), code, null);
        }
        try {
            return call.apply(p);
        } catch (HypervisorException e) {
            throw new HypervisorException("domain " + name + ": " + step + ": " + e.getMessage(), e.code(), e.origin(),
                    null);
        } finally {
            n.virDomainFree(p);
        }
    }

    /** Raises the thread's last libvirt error as a HypervisorException without a prefix. */
    static HypervisorException lastError() {
        LibvirtNative n = LibvirtNative.INSTANCE;
        return new HypervisorException(oneLine(n.virGetLastErrorMessage()), n.virGetLastErrorCode(),
                n.virGetLastErrorDomain(), null);
    }

    private static boolean agentCall(int rc) throws HypervisorException {
        if (rc >= 0) {
            return true;
        }
        HypervisorException e = lastError();
        if (e.isAgentUnavailable()) {
            return false;
        }
        throw e;
    }

    /** libvirt-java keeps the virConnectPtr protected; the JNA calls need it. */
    private static final class OpenConnect extends Connect {
        OpenConnect(String uri) throws LibvirtException {
            super(uri);
        }

        ConnectionPointer pointer() {
            return vcp;
        }
    }
}
