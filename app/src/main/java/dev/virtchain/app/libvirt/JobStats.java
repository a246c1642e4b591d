package dev.virtchain.app.libvirt;

/**
 * One look at a domain's job, from {@code virDomainGetJobStats}: the running job, or once none
 * runs any more, how the last one ended.
 *
 * @param type        what the job is doing or how it ended
 * @param operation   libvirt's virDomainJobOperation (9 is a backup), 0 when unknown
 * @param processed   bytes copied so far ({@code disk_processed} for backups, else {@code data_processed})
 * @param total       bytes the job will copy in all, 0 when unknown
 * @param remaining   bytes still to copy
 * @param error       libvirt's message for a failed job, or null
 */
public record JobStats(Type type, int operation, long processed, long total, long remaining, String error) {

    /** libvirt's virDomainJobType, in its order. */
    public enum Type {
        NONE, BOUNDED, UNBOUNDED, COMPLETED, FAILED, CANCELLED;

        static Type of(int value) {
            return value >= 0 && value < values().length ? values()[value] : NONE;
        }
    }

    /** virDomainJobOperation of a push or pull backup job. */
    public static final int OPERATION_BACKUP = 9;

    /** The job no longer runs: it completed, failed or was cancelled (or there never was one). */
    public boolean finished() {
        return type != Type.BOUNDED && type != Type.UNBOUNDED;
    }

    /** The job ended and libvirt says it succeeded. */
    public boolean succeeded() {
        return type == Type.COMPLETED;
    }
}
