package dev.virtchain.qcow2;

import static dev.virtchain.qcow2.ImageException.hex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Readers for the snapshot table and the bitmap directory, each entry bounds-checked. */
final class MetadataTables {
    /** qemu's QCOW_MAX_SNAPSHOT_EXTRA_DATA. */
    static final int MAX_SNAPSHOT_EXTRA = 1024;
    /** qemu's BME_MAX_NAME_SIZE and granularity range. */
    static final int MAX_BITMAP_NAME = 1023;
    static final int MIN_GRANULARITY_BITS = 9;
    static final int MAX_GRANULARITY_BITS = 31;
    /** qemu's BME_MAX_TABLE_SIZE. */
    static final long MAX_BITMAP_TABLE_ENTRIES = 0x8000000L;

    private MetadataTables() {
    }

    static List<Snapshot> snapshots(ImageFile f, Qcow2Header h) throws IOException {
        List<Snapshot> out = new ArrayList<>();
        long pos = h.snapshotsOffset();
        int count = h.nbSnapshots();
        for (int i = 0; i < count; i++) {
            String what = "snapshot table entry " + i;
            ByteBuffer e = f.read(what, pos, 40);
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
                throw new ImageException(f.name(), what + " has extra_data_size " + extraLen + " (at most "
                        + MAX_SNAPSHOT_EXTRA + ")");
            }
            pos += 40;
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
            pos = (pos + 7) & ~7L;
            out.add(new Snapshot(id, name, l1Offset, l1Size, dateSec, dateNsec, vmClock, vmState, diskSize, icount));
        }
        return out;
    }

    static List<Bitmap> bitmaps(ImageFile f, Qcow2Header h) throws IOException {
        if (!h.bitmapsValid() || h.bitmaps().count() == 0) {
            return List.of();
        }
        BitmapsExtension ext = h.bitmaps();
        ByteBuffer dir = f.read("bitmap directory", ext.directoryOffset(), (int) ext.directorySize());
        List<Bitmap> out = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < ext.count(); i++) {
            String what = "bitmap directory entry " + i;
            if (dir.limit() - pos < 24) {
                throw new ImageException(f.name(), what + " at " + hex(ext.directoryOffset() + pos)
                        + " runs past the directory's end (" + ext.directorySize() + " bytes)");
            }
            long tableOffset = dir.getLong(pos);
            int tableSize = dir.getInt(pos + 8);
            int flags = dir.getInt(pos + 12);
            int type = dir.get(pos + 16) & 0xff;
            int granularityBits = dir.get(pos + 17) & 0xff;
            int nameLen = dir.getShort(pos + 18) & 0xffff;
            long extraLen = Integer.toUnsignedLong(dir.getInt(pos + 20));
            long entryLen = (24 + extraLen + nameLen + 7) & ~7L;
            if (entryLen > dir.limit() - pos) {
                throw new ImageException(f.name(), what + " (" + entryLen + " bytes) runs past the directory's end ("
                        + ext.directorySize() + " bytes)");
            }
            if (nameLen == 0 || nameLen > MAX_BITMAP_NAME) {
                throw new ImageException(f.name(), what + " has name_size " + nameLen + " (1 to " + MAX_BITMAP_NAME + ")");
            }
            if (granularityBits < MIN_GRANULARITY_BITS || granularityBits > MAX_GRANULARITY_BITS) {
                throw new ImageException(f.name(), what + " has granularity_bits " + granularityBits + " (9 to 31)");
            }
            if (Integer.toUnsignedLong(tableSize) > MAX_BITMAP_TABLE_ENTRIES) {
                throw new ImageException(f.name(), what + " has bitmap_table_size " + Integer.toUnsignedString(tableSize)
                        + " (at most " + MAX_BITMAP_TABLE_ENTRIES + ")");
            }
            byte[] name = new byte[nameLen];
            dir.get(pos + 24 + (int) extraLen, name);
            out.add(new Bitmap(new String(name, StandardCharsets.UTF_8), granularityBits, flags, type, tableOffset,
                    tableSize));
            pos += (int) entryLen;
        }
        return out;
    }
}
