package dev.virtchain.qcow2;

/**
 * The verdict of a consistency check, in the fields of qemu's BdrvCheckResult.
 *
 * @param checkErrors        problems that kept the check from finishing a part of its work
 * @param corruptions        clusters referenced more often than recorded, and broken entries
 * @param leaks              clusters recorded as used more often than referenced
 * @param totalClusters      clusters the virtual disk spans
 * @param allocatedClusters  guest clusters the active L1 table maps to host clusters
 * @param fragmentedClusters of those, clusters not following their predecessor in the file
 * @param compressedClusters of those, compressed clusters
 * @param imageEndOffset     the end of the last cluster in use or referenced
 * @param failure            why the check stopped early (qemu's "Check failed: ..."), or null
 */
public record CheckResult(
        long checkErrors,
        long corruptions,
        long leaks,
        long totalClusters,
        long allocatedClusters,
        long fragmentedClusters,
        long compressedClusters,
        long imageEndOffset,
        String failure) {

    /** qemu-img check's exit code: 0 clean, 1 check failed, 2 corruptions, 3 leaks only. */
    public int exitCode() {
        if (failure != null || checkErrors > 0) {
            return 1;
        }
        if (corruptions > 0) {
            return 2;
        }
        return leaks > 0 ? 3 : 0;
    }
}
