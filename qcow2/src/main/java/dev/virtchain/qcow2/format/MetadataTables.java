package dev.virtchain.qcow2.format;

import static dev.virtchain.qcow2.ImageException.hex;

import dev.virtchain.qcow2.ErrorKind;
import dev.virtchain.qcow2.ImageException;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.io.ImageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Readers for the snapshot table and the bitmap directory, each entry bounds-checked. */
public final class MetadataTables {
    /** qemu's QCOW_MAX_SNAPSHOT_EXTRA_DATA. */
    static final int MAX_SNAPSHOT_EXTRA = 1024;
    /** qemu's BME_MAX_NAME_SIZE and granularity range. */
    static final int MAX_BITMAP_NAME = 1023;
    static final int MIN_GRANULARITY_BITS = 9;
    static final int MAX_GRANULARITY_BITS = 31;
    /** qemu's BME_MAX_TABLE_SIZE. */
    public static final long MAX_BITMAP_TABLE_ENTRIES = 0x8000000L;
    /** qemu's BME_MAX_PHYS_SIZE: the most bitmap table clusters one bitmap may take, in bytes. */
    static final long MAX_BITMAP_PHYS_BYTES = 0x20000000L;
    /** Flags the spec defines (in_use, auto, extra_data_compatible); the others are reserved. */
    static final int BITMAP_KNOWN_FLAGS = Bitmap.FLAG_IN_USE | Bitmap.FLAG_AUTO | Bitmap.FLAG_EXTRA_DATA_COMPATIBLE;
    /** The only bitmap type the spec defines: a dirty tracking bitmap. */
    static final int BITMAP_TYPE_DIRTY_TRACKING = 1;
    /** qemu's QCOW_MAX_SNAPSHOTS_SIZE: about 1 KiB per snapshot, which bounds the names kept in memory. */
    static final long MAX_SNAPSHOT_TABLE_BYTES = 1024L * Qcow2Header.MAX_SNAPSHOTS;
    /** A snapshot table entry without its extra data, id and name. */
    static final int SNAPSHOT_ENTRY_FIXED = 40;
    /** A bitmap directory entry without its extra data and name. */
    static final int BITMAP_ENTRY_FIXED = 24;

    private MetadataTables() {
    }

    /**
     * The snapshot table's entries, and its length as qemu computes it: entries 8-byte aligned,
     * the last one unpadded.
     */
    public record SnapshotTable(List<Snapshot> entries, long bytes) {
    }

    public static SnapshotTable snapshots(ImageFile f, Qcow2Header h) throws IOException {
        List<Snapshot> out = new ArrayList<>();
        long start = h.snapshotsOffset();
        long pos = start;
        long end = start;
        int count = h.nbSnapshots(); // validated: at most 65536, the fixed parts inside the file
        for (int i = 0; i < count; i++) {
            String what = "snapshot table entry " + i;
            ByteBuffer e = f.read(what, pos, SNAPSHOT_ENTRY_FIXED);
            long l1Offset = e.getLong(0);
            int l1Size = e.getInt(8);
            int idLen = e.getShort(12) & 0xffff;
            int nameLen = e.getShort(14) & 0xffff;
            long dateSec = Integer.toUnsignedLong(e.getInt(16));
            long dateNsec = Integer.toUnsignedLong(e.getInt(20));
            long vmClock = e.getLong(24);
            long vmState = Integer.toUnsignedLong(e.getInt(32));
            long extraLen = Integer.toUnsignedLong(e.getInt(36));
            if (extraLen > MAX_SNAPSHOT_EXTRA) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has extra_data_size " + extraLen
                        + " (at most " + MAX_SNAPSHOT_EXTRA + ")");
            }
            checkSnapshotL1(f, h, what, l1Offset, l1Size);
            pos += SNAPSHOT_ENTRY_FIXED;
            long entryEnd = pos + extraLen + idLen + nameLen;
            if (entryEnd - start > MAX_SNAPSHOT_TABLE_BYTES) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " ends " + (entryEnd - start)
                        + " bytes into the snapshot table, which may hold at most " + MAX_SNAPSHOT_TABLE_BYTES);
            }
            ByteBuffer extra = f.read(what + " extra data", pos, (int) extraLen);
            long diskSize = h.size();
            long icount = Snapshot.NO_ICOUNT;
            if (extraLen >= 8) {
                vmState = extra.getLong(0);
            }
            if (extraLen >= 16) {
                diskSize = extra.getLong(8);
            }
            if (extraLen >= 24) {
                icount = extra.getLong(16);
            }
            pos += extraLen;
            String id = new String(f.read(what + " id", pos, idLen).array(), StandardCharsets.UTF_8);
            pos += idLen;
            String name = new String(f.read(what + " name", pos, nameLen).array(), StandardCharsets.UTF_8);
            pos += nameLen;
            end = pos;
            pos = (pos + 7) & ~7L;
            out.add(new Snapshot(id, name, l1Offset, l1Size, dateSec, dateNsec, vmClock, vmState, diskSize, icount));
        }
        return new SnapshotTable(out, end - start);
    }

    /** A snapshot's L1 table obeys the active table's rules: capped, cluster aligned, inside the file. */
    private static void checkSnapshotL1(ImageFile f, Qcow2Header h, String what, long l1Offset, int l1Size)
            throws ImageException {
        long entries = Integer.toUnsignedLong(l1Size);
        if (entries > Qcow2Header.MAX_L1_BYTES / 8) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has l1_size " + entries + " (at most "
                    + Qcow2Header.MAX_L1_BYTES / 8 + ")");
        }
        if (entries > 0) {
            HeaderParser.checkTable(f.name(), "l1 table", what + " l1_table_offset", l1Offset, entries * 8,
                    h.clusterSize(), f.size());
        }
    }

    public static List<Bitmap> bitmaps(ImageFile f, Qcow2Header h) throws IOException {
        if (!h.bitmapsValid()) {
            return List.of();
        }
        BitmapsExtension ext = h.bitmaps(); // validated: 1 to 65535 bitmaps, a capped directory inside the file
        ByteBuffer dir = f.read("bitmap directory", ext.directoryOffset(), (int) ext.directorySize());
        List<Bitmap> out = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < ext.count(); i++) {
            String what = "bitmap directory entry " + i;
            if (dir.limit() - pos < BITMAP_ENTRY_FIXED) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " at " + hex(ext.directoryOffset() + pos)
                        + " runs past the directory's end (bitmap_directory_size " + ext.directorySize() + ")");
            }
            long tableOffset = dir.getLong(pos);
            int tableSize = dir.getInt(pos + 8);
            int flags = dir.getInt(pos + 12);
            int type = dir.get(pos + 16) & 0xff;
            int granularityBits = dir.get(pos + 17) & 0xff;
            int nameLen = dir.getShort(pos + 18) & 0xffff;
            long extraLen = Integer.toUnsignedLong(dir.getInt(pos + 20));
            long entryLen = (BITMAP_ENTRY_FIXED + extraLen + nameLen + 7) & ~7L;
            if (entryLen > dir.limit() - pos) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " (" + entryLen
                        + " bytes) runs past the directory's end"
                        + " (bitmap_directory_size " + ext.directorySize() + ")");
            }
            if (extraLen != 0) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has extra_data_size " + extraLen
                        + "; bitmap extra data is not supported");
            }
            if (nameLen == 0 || nameLen > MAX_BITMAP_NAME) {
                throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has name_size " + nameLen + " (1 to "
                        + MAX_BITMAP_NAME + ")");
            }
            byte[] nameBytes = new byte[nameLen];
            dir.get(pos + BITMAP_ENTRY_FIXED, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            checkBitmap(f, h, what + " " + Names.quote(name), tableOffset, tableSize, flags, type, granularityBits);
            out.add(new Bitmap(name, granularityBits, flags, type, tableOffset, tableSize));
            pos += (int) entryLen;
        }
        if (pos != dir.limit()) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), "bitmap directory has " + (dir.limit() - pos)
                    + " bytes after the last of the " + ext.count()
                    + " bitmaps the bitmaps extension counts (bitmap_directory_size " + ext.directorySize() + ")");
        }
        return out;
    }

    /** qemu's check_dir_entry, one message per broken constraint. */
    private static void checkBitmap(ImageFile f, Qcow2Header h, String what, long tableOffset, int tableSize, int flags,
            int type, int granularityBits) throws ImageException {
        if (type != BITMAP_TYPE_DIRTY_TRACKING) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has type " + type
                    + " (only 1, dirty tracking, is defined)");
        }
        if ((flags & ~BITMAP_KNOWN_FLAGS) != 0) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has reserved flags set (flags "
                    + hex(flags & 0xffffffffL) + ")");
        }
        if (granularityBits < MIN_GRANULARITY_BITS || granularityBits > MAX_GRANULARITY_BITS) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has granularity_bits " + granularityBits
                    + " (9 to 31)");
        }
        long entries = Integer.toUnsignedLong(tableSize);
        if (entries == 0) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has bitmap_table_size 0");
        }
        if (entries > MAX_BITMAP_TABLE_ENTRIES) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has bitmap_table_size " + entries
                    + " (at most " + MAX_BITMAP_TABLE_ENTRIES + ")");
        }
        long physBytes = entries * h.clusterSize();
        if (physBytes > MAX_BITMAP_PHYS_BYTES) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has bitmap_table_size " + entries + ", "
                    + physBytes + " bytes of bitmap (at most " + MAX_BITMAP_PHYS_BYTES + ")");
        }
        if (tableOffset == 0) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has bitmap_table_offset 0");
        }
        HeaderParser.checkTable(f.name(), "bitmap table", what + " bitmap_table_offset", tableOffset,
                entries * 8, h.clusterSize(), f.size());
        long bitsNeeded = (h.size() >>> granularityBits)
                + ((h.size() & ((1L << granularityBits) - 1)) != 0 ? 1 : 0);
        if ((flags & Bitmap.FLAG_IN_USE) == 0 && bitsNeeded > physBytes * 8) {
            throw new ImageException(ErrorKind.CORRUPT, f.name(), what + " has bitmap_table_size " + entries
                    + ", too small for size " + h.size() + " at granularity " + (1L << granularityBits));
        }
    }
}
