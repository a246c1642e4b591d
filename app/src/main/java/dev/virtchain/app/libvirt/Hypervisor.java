package dev.virtchain.app.libvirt;

import dev.virtchain.qcow2.ErrorKind;
import java.util.List;

/**
 * Everything virtchain asks of libvirt, keyed by domain name so that the backup engine can be
 * tested against a fake. Every failure is a {@link HypervisorException} whose message names the
 * domain (and checkpoint) and carries libvirt's own words.
 *
 * <p>Keep the connection that began a push backup open until {@link #jobStats} says the job
 * finished: with the embedded driver ({@code qemu:///embed}) the hypervisor lives in this process
 * and goes away with the connection.
 */
public interface Hypervisor extends AutoCloseable {

    /** Opens a read-write connection to {@code uri}, e.g. {@code qemu:///system}. */
    static Hypervisor connect(String uri) throws HypervisorException {
        return LibvirtHypervisor.open(uri);
    }

    /**
     * Starts loading libvirt in the background, for a command that is about to connect (see
     * {@link LibvirtRuntime#preload}); {@link #connect} then finds it loaded, or waits for it.
     */
    static void preload() {
        LibvirtRuntime.preload();
    }

    /**
     * Ends what libvirt runs for this process (its event loop thread); for the CLI's exit, after
     * every connection is closed. A process that connects again afterwards is not supported.
     */
    static void shutdown() {
        LibvirtRuntime.stop();
    }

    /** The URI this connection was opened with. */
    String uri();

    /** The domain called {@code name}; fails with "domain NAME: no such domain" if there is none. */
    DomainRef domain(String name) throws HypervisorException;

    /**
     * The names of every domain libvirt knows here, running or defined, sorted. (Default: unsupported,
     * for fakes of the backup engine.)
     */
    default List<String> domainNames() throws HypervisorException {
        throw new HypervisorException(ErrorKind.UNSUPPORTED, "cannot list the domains on " + uri()
                + ": not supported here");
    }

    /** Defines (or redefines) a persistent domain from its XML and returns its name. */
    String define(String domainXml) throws HypervisorException;

    /**
     * Creates and starts a transient domain from its XML (virDomainCreateXML) and returns its
     * name. libvirt forgets it once it stops. (Default: unsupported, so that fakes written for
     * the backup engine need not know about boot.)
     */
    default String createTransient(String domainXml) throws HypervisorException {
        throw new HypervisorException(ErrorKind.UNSUPPORTED, "cannot create a transient domain on " + uri()
                + ": not supported here");
    }

    /** Undefines a persistent domain, dropping its checkpoint metadata with it. */
    void undefine(String domain) throws HypervisorException;

    /** The domain's live XML (its inactive XML when it is not running). */
    String domainXml(String domain) throws HypervisorException;

    /**
     * The persistent definition of the domain (virsh dumpxml --inactive), or null for a transient
     * domain, which has none. (Default: none, for fakes of the backup engine.)
     */
    default String inactiveXml(String domain) throws HypervisorException {
        return null;
    }

    boolean isActive(String domain) throws HypervisorException;

    /** Starts a defined domain, with its vCPUs paused if {@code paused}. */
    void start(String domain, boolean paused) throws HypervisorException;

    /** Pauses the vCPUs of a running domain (virsh suspend). */
    void suspend(String domain) throws HypervisorException;

    void resume(String domain) throws HypervisorException;

    /** Stops a running domain at once (virsh destroy). */
    void destroy(String domain) throws HypervisorException;

    /** The domain's checkpoint names, parents before children. */
    List<String> checkpointNames(String domain) throws HypervisorException;

    /** A checkpoint's XML as libvirt keeps it, fit for {@link #redefineCheckpoint}. */
    String checkpointXml(String domain, String checkpoint) throws HypervisorException;

    /**
     * A checkpoint's XML with the size of each disk's changes since it ({@code size} attributes:
     * VIR_DOMAIN_CHECKPOINT_XML_SIZE), without the domain's XML. Only a running domain has sizes;
     * a checkpoint whose bitmap is missing or broken fails ({@link HypervisorException#isCheckpointInconsistent}).
     * (Default: unsupported, for fakes of the backup engine.)
     */
    default String checkpointSizeXml(String domain, String checkpoint) throws HypervisorException {
        throw new HypervisorException(ErrorKind.UNSUPPORTED, "cannot size checkpoint " + checkpoint + " on " + uri()
                + ": not supported here");
    }

    /** Redefines a checkpoint libvirt lost from XML saved earlier (CHECKPOINT_CREATE_REDEFINE). */
    void redefineCheckpoint(String domain, String checkpointXml) throws HypervisorException;

    /**
     * Deletes a checkpoint; with {@code metadataOnly} libvirt forgets it but leaves the disks'
     * bitmaps alone.
     */
    void deleteCheckpoint(String domain, String checkpoint, boolean metadataOnly) throws HypervisorException;

    /**
     * Begins a push backup into targets that already exist (BACKUP_BEGIN_REUSE_EXTERNAL), creating
     * the checkpoint {@code checkpointXml} describes atomically with it unless that is null.
     */
    void backupBegin(String domain, String backupXml, String checkpointXml) throws HypervisorException;

    /** The running backup job's XML. */
    String backupXml(String domain) throws HypervisorException;

    /** The running job's progress, or how the last job ended once none runs any more. */
    JobStats jobStats(String domain) throws HypervisorException;

    /** Aborts the domain's running job. */
    void abortJob(String domain) throws HypervisorException;

    /**
     * Freezes the guest's filesystems through its agent. Returns false, and changes nothing, when
     * the domain has no agent or the agent does not answer.
     */
    boolean fsFreeze(String domain) throws HypervisorException;

    /**
     * Freezes only the guest filesystems mounted at {@code mountpoints} (all of them when the list
     * is empty) and returns how many the agent froze, or -1, changing nothing, when no agent
     * answers. qemu-ga counts itself frozen even when it froze none (a list naming nothing it can
     * freeze): {@link #fsThaw} ends that too. (Default: only the empty list, for fakes.)
     */
    default int fsFreeze(String domain, List<String> mountpoints) throws HypervisorException {
        if (mountpoints.isEmpty()) {
            return fsFreeze(domain) ? 1 : -1;
        }
        throw new HypervisorException(ErrorKind.UNSUPPORTED, "cannot freeze chosen mountpoints on " + uri()
                + ": not supported here");
    }

    /** Thaws what {@link #fsFreeze} froze; returns false when no agent answers. */
    boolean fsThaw(String domain) throws HypervisorException;

    /**
     * Pings the guest agent (guest-ping) and returns whether it answered within
     * {@code timeoutSeconds}; false, not an error, when the domain has no agent or it is silent.
     * (Default: no agent.)
     */
    default boolean agentPing(String domain, int timeoutSeconds) throws HypervisorException {
        return false;
    }

    /**
     * The domain's state and the reason for it (virDomainGetState), e.g. paused after an I/O error.
     * (Default: unsupported, for fakes of the backup engine.)
     */
    default DomainState state(String domain) throws HypervisorException {
        throw new HypervisorException(ErrorKind.UNSUPPORTED, "cannot read the state of " + domain + " on " + uri()
                + ": not supported here");
    }

    /**
     * The type of the block job running on disk {@code target} (virDomainGetBlockJobInfo: 1 pull,
     * 2 copy, 3 commit, 4 active commit, 5 backup), 0 when none runs. (Default: none, for fakes.)
     */
    default int blockJob(String domain, String target) throws HypervisorException {
        return 0;
    }

    /**
     * The disks that met an I/O error since the domain started, with libvirt's virDomainDiskErrorCode
     * (1 an error, 2 no space left) (virDomainGetDiskErrors). (Default: none, for fakes.)
     */
    default java.util.Map<String, Integer> diskErrors(String domain) throws HypervisorException {
        return java.util.Map.of();
    }

    /** Runs a human monitor (HMP) command in the domain's qemu and returns what it printed. */
    String hmp(String domain, String command) throws HypervisorException;

    /**
     * Has {@code ended} run (on libvirt's event thread) whenever a job of {@code domain} ends, until
     * the returned handle is closed; null when this connection cannot tell (the caller then polls
     * {@link #jobStats}). A wake-up only: {@link #jobStats} says which job ended and how.
     */
    default AutoCloseable onJobEnd(String domain, Runnable ended) throws HypervisorException {
        return null;
    }

    /** Closes the connection. */
    @Override
    void close() throws HypervisorException;

    /** A domain as libvirt names it. */
    record DomainRef(String name, String uuid) {
    }
}
