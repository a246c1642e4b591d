package dev.virtchain.app.img;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.Names;
import dev.virtchain.qcow2.format.Bitmap;
import dev.virtchain.qcow2.format.Qcow2Header;
import dev.virtchain.qcow2.format.Snapshot;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An image's description in qemu-img info's fields, as ordered maps ready for JSON or the human layout. */
final class ImageInfoView {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private ImageInfoView() {
    }

    static Map<String, Object> of(Image img) {
        Map<String, Object> m = new LinkedHashMap<>();
        Qcow2Image q = img instanceof Qcow2Image x ? x : null;
        Qcow2Header h = q != null ? q.header() : null;
        if (h != null && h.backingFile() != null && h.backingFormat() != null) {
            m.put("backing-filename-format", h.backingFormat());
        }
        if (q != null && !q.snapshots().isEmpty()) {
            m.put("snapshots", snapshots(q.snapshots()));
        }
        m.put("virtual-size", img.virtualSize());
        m.put("filename", img.filename());
        if (h != null) {
            m.put("cluster-size", h.clusterSize());
        }
        m.put("format", img.format());
        m.put("actual-size", img.allocatedBytes());
        if (h != null) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("type", "qcow2");
            spec.put("data", qcow2Data(q));
            m.put("format-specific", spec);
        }
        if (h != null && h.backingFile() != null) {
            m.put("full-backing-filename", Images.resolve(img.filename(), h.backingFile()));
            m.put("backing-filename", h.backingFile());
        }
        m.put("dirty-flag", h != null && h.dirty());
        return m;
    }

    private static Map<String, Object> qcow2Data(Qcow2Image q) {
        Qcow2Header h = q.header();
        Map<String, Object> d = new LinkedHashMap<>();
        if (h.version() == 2) {
            d.put("compat", "0.10");
            d.put("compression-type", "zlib");
            d.put("refcount-bits", h.refcountBits());
            return d;
        }
        d.put("compat", "1.1");
        d.put("compression-type", h.compressionType() == Qcow2Header.COMPRESSION_ZSTD ? "zstd" : "zlib");
        d.put("lazy-refcounts", h.lazyRefcounts());
        if (h.bitmapsValid() && !q.bitmaps().isEmpty()) {
            List<Object> bitmaps = new ArrayList<>();
            for (Bitmap b : q.bitmaps()) {
                Map<String, Object> bm = new LinkedHashMap<>();
                List<String> flags = new ArrayList<>();
                if (b.inUse()) {
                    flags.add("in-use");
                }
                if (b.auto()) {
                    flags.add("auto");
                }
                bm.put("flags", flags);
                bm.put("name", b.name());
                bm.put("granularity", b.granularity());
                bitmaps.add(bm);
            }
            d.put("bitmaps", bitmaps);
        }
        d.put("refcount-bits", h.refcountBits());
        if (h.dataFile() != null) {
            d.put("data-file", h.dataFile());
            d.put("data-file-raw", h.dataFileRaw());
        }
        d.put("corrupt", h.corrupt());
        d.put("extended-l2", h.extendedL2());
        return d;
    }

    private static List<Object> snapshots(List<Snapshot> list) {
        List<Object> out = new ArrayList<>();
        for (Snapshot s : list) {
            Map<String, Object> m = new LinkedHashMap<>();
            if (s.icount() != Snapshot.NO_ICOUNT) {
                m.put("icount", s.icount());
            }
            m.put("vm-clock-nsec", s.vmClockNsec() % 1_000_000_000L);
            m.put("name", s.name());
            m.put("date-sec", s.dateSec());
            m.put("date-nsec", s.dateNsec());
            m.put("vm-clock-sec", s.vmClockNsec() / 1_000_000_000L);
            m.put("id", s.id());
            m.put("vm-state-size", s.vmStateSize());
            out.add(m);
        }
        return out;
    }

    /**
     * qemu-img info's human layout of one image. Every name in it (the file, the backing link,
     * snapshot, bitmap and data file names) is escaped: an image may hold any bytes in them.
     */
    @SuppressWarnings("unchecked")
    static String human(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        long vsize = (Long) m.get("virtual-size");
        sb.append("image: ").append(text(m.get("filename"))).append('\n');
        sb.append("file format: ").append(m.get("format")).append('\n');
        sb.append("virtual size: ").append(HumanSize.of(vsize)).append(" (").append(vsize).append(" bytes)\n");
        sb.append("disk size: ").append(HumanSize.of((Long) m.get("actual-size"))).append('\n');
        if (m.containsKey("cluster-size")) {
            sb.append("cluster_size: ").append(m.get("cluster-size")).append('\n');
        }
        if (m.containsKey("backing-filename")) {
            Object name = m.get("backing-filename");
            Object full = m.get("full-backing-filename");
            sb.append("backing file: ").append(text(name));
            if (!name.equals(full)) {
                sb.append(" (actual path: ").append(text(full)).append(')');
            }
            sb.append('\n');
            if (m.containsKey("backing-filename-format")) {
                sb.append("backing file format: ").append(text(m.get("backing-filename-format"))).append('\n');
            }
        }
        if (Boolean.TRUE.equals(m.get("dirty-flag"))) {
            sb.append("cleanly shut down: no\n");
        }
        List<Map<String, Object>> snaps = (List<Map<String, Object>>) m.get("snapshots");
        if (snaps != null) {
            sb.append("Snapshot list:\n");
            sb.append(String.format("%-10s%-17s%8s%20s%13s%11s%n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT"));
            for (Map<String, Object> s : snaps) {
                long clockSec = (Long) s.get("vm-clock-sec");
                long clockMs = (Long) s.get("vm-clock-nsec") / 1_000_000;
                String clock = String.format("%02d:%02d:%02d.%03d", clockSec / 3600, (clockSec / 60) % 60,
                        clockSec % 60, clockMs);
                String date = DATE.format(Instant.ofEpochSecond((Long) s.get("date-sec")));
                Object icount = s.get("icount");
                sb.append(String.format("%-9s %-16s %8s%20s%13s%11s%n", text(s.get("id")), text(s.get("name")),
                        HumanSize.of((Long) s.get("vm-state-size")), date, clock, icount == null ? "" : icount));
            }
        }
        Map<String, Object> spec = (Map<String, Object>) m.get("format-specific");
        if (spec != null) {
            sb.append("Format specific information:\n");
            dump(sb, (Map<String, Object>) spec.get("data"), 1);
        }
        return sb.toString();
    }

    /** qemu's generic dump of a QAPI object: "key: value", nested maps and lists indented by four. */
    @SuppressWarnings("unchecked")
    private static void dump(StringBuilder sb, Object value, int level) {
        String indent = "    ".repeat(level);
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) map).entrySet()) {
                entry(sb, indent, e.getKey().replace('-', ' '), e.getValue(), level);
            }
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                entry(sb, indent, "[" + i + "]", list.get(i), level);
            }
        }
    }

    private static void entry(StringBuilder sb, String indent, String key, Object v, int level) {
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
            sb.append(indent).append(key).append(":\n");
            dump(sb, v, level + 1);
        } else {
            sb.append(indent).append(key).append(": ").append(text(v)).append('\n');
        }
    }

    /** A value as the human layout prints it: strings (names) escaped, numbers and flags as they are. */
    private static String text(Object v) {
        return v instanceof String s ? Names.escape(s) : String.valueOf(v);
    }
}
