package dev.virtchain.qcow2;

/** Told how far a long operation has come: {@code done} of {@code total} guest bytes. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> { };

    void update(long done, long total);
}
