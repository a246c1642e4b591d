package dev.virtchain.chain;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;

/**
 * The names of everything in a backup directory (docs/DESIGN.md, "Backup directory"). Names are
 * plain file names relative to the directory, never paths: the directory can be moved and
 * its backing links still resolve.
 */
public final class Naming {
    /** The manifest: the commit point of every backup. */
    public static final String MANIFEST = "virtchain.json";
    /** The file whose OS lock keeps two runs out of one directory. */
    public static final String LOCK = ".lock";
    /** The readers' lock: shared by restore, verify and boot while they read, exclusive while a prune writes. */
    public static final String READERS_LOCK = ".readers.lock";
    /** Where each running {@code boot} of the directory is recorded, one {@code <name>.json} each. */
    public static final String BOOTS_DIR = ".boots";
    /** What the last backup run into the directory ended with (ok, or the error it printed), for status. */
    public static final String LAST_RUN = "last-run.json";
    /** The subdirectory holding checkpoint XML for redefinition. */
    public static final String CHECKPOINTS_DIR = "checkpoints";
    /** Every checkpoint virtchain creates starts with this; other tools' checkpoints are never touched. */
    public static final String CHECKPOINT_PREFIX = "virtchain.";
    /** The suffix of a target still being written; renamed away once the backup job succeeded. */
    public static final String PARTIAL_SUFFIX = ".partial";

    /** libvirt target devs: vda, sdb, hdc, xvda, nvme0n1 ... a plain name, never a path. */
    private static final Pattern DISK_TARGET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    /** Short lower-case alphanumerics: safe in file names and checkpoint names. */
    private static final Pattern SET_ID = Pattern.compile("[a-z0-9]{1,32}");
    /** Checkpoint names become file names under checkpoints/: no slashes, no leading dot. */
    private static final Pattern CHECKPOINT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,254}");
    private static final int SET_ID_BYTES = 4; // 8 hex digits: unique enough per domain, short to read

    private Naming() {
    }

    /** A backup file: {@code <disk>.<seq 4 digits>.<level>.qcow2}, e.g. {@code vda.0003.inc.qcow2}. */
    public static String diskFile(String target, int seq, Level level) {
        requireDiskTarget(target);
        return target + "." + seq(seq) + "." + level.word() + ".qcow2";
    }

    /** The domain XML saved with backup {@code seq}: {@code domain.0003.xml}. */
    public static String domainXml(int seq) {
        return "domain." + seq(seq) + ".xml";
    }

    /**
     * The inactive definition of a persistent domain saved with backup {@code seq}:
     * {@code domain.0003.inactive.xml}. What {@code restore} starts from: no runtime state, no
     * device that exists only in the running domain.
     */
    public static String inactiveDomainXml(int seq) {
        return "domain." + seq(seq) + ".inactive.xml";
    }

    /**
     * A file the domain boots from, kept with each backup for restore and boot: its UEFI
     * variables ({@code nvram.0003.fd}), and the kernel and initrd of a directly booted domain
     * ({@code kernel.0003}, {@code initrd.0003}).
     */
    public enum BootFile {
        NVRAM("nvram.%04d.fd"), KERNEL("kernel.%04d"), INITRD("initrd.%04d");

        private final String pattern;

        BootFile(String pattern) {
            this.pattern = pattern;
        }

        /** The file's name for backup {@code seq}. */
        public String file(int seq) {
            return String.format(pattern, seq);
        }
    }

    /** The checkpoint XML of {@code checkpoint}, relative to the directory: {@code checkpoints/<name>.xml}. */
    public static String checkpointXml(String checkpoint) {
        if (!isCheckpointName(checkpoint)) {
            throw new IllegalArgumentException("'" + checkpoint + "' cannot name a checkpoint file");
        }
        return CHECKPOINTS_DIR + "/" + checkpoint + ".xml";
    }

    /** The checkpoint created by backup {@code seq} of set {@code setId}: {@code virtchain.<set-id>.<seq>}. */
    public static String checkpointName(String setId, int seq) {
        requireSetId(setId);
        return CHECKPOINT_PREFIX + setId + "." + seq(seq);
    }

    /** The name a target is written under until its backup succeeded: {@code <file>.partial}. */
    public static String partial(String file) {
        return file + PARTIAL_SUFFIX;
    }

    /** Whether libvirt checkpoint {@code name} was made by virtchain (any backup set). */
    public static boolean isVirtchainCheckpoint(String name) {
        return name.startsWith(CHECKPOINT_PREFIX);
    }

    /**
     * The seq of checkpoint {@code name} if it belongs to set {@code setId}, else -1. Used to keep
     * seq numbers unique even past a run that created its checkpoint and then died.
     */
    public static int checkpointSeq(String setId, String name) {
        String prefix = CHECKPOINT_PREFIX + setId + ".";
        if (!name.startsWith(prefix)) {
            return -1;
        }
        String digits = name.substring(prefix.length());
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Integer.parseInt(digits);
    }

    /** A new random set id (8 lower-case hex digits). */
    public static String newSetId() {
        return newSetId(new SecureRandom());
    }

    /** A new set id drawn from {@code random}, for tests that want it reproducible. */
    public static String newSetId(RandomGenerator random) {
        byte[] b = new byte[SET_ID_BYTES];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    public static boolean isDiskTarget(String s) {
        return s != null && DISK_TARGET.matcher(s).matches();
    }

    public static boolean isSetId(String s) {
        return s != null && SET_ID.matcher(s).matches();
    }

    public static boolean isCheckpointName(String s) {
        return s != null && CHECKPOINT.matcher(s).matches();
    }

    /**
     * Whether {@code s} is a plain file name inside the directory: not empty, no slash, no NUL,
     * not {@code .} or {@code ..}. A manifest naming anything else could point restore outside it.
     */
    public static boolean isPlainFileName(String s) {
        return s != null && !s.isEmpty() && s.length() <= 255 && s.indexOf('/') < 0 && s.indexOf('\0') < 0
                && !s.equals(".") && !s.equals("..");
    }

    static void requireDiskTarget(String target) {
        if (!isDiskTarget(target)) {
            throw new IllegalArgumentException("'" + target + "' is not a disk target name (letters, digits, _ and -)");
        }
    }

    static void requireSetId(String setId) {
        if (!isSetId(setId)) {
            throw new IllegalArgumentException("'" + setId + "' is not a set id (1 to 32 of a-z and 0-9)");
        }
    }

    private static String seq(int seq) {
        if (seq < 0) {
            throw new IllegalArgumentException("seq " + seq + " is negative");
        }
        return String.format("%04d", seq);
    }
}
