package dev.virtchain.qcow2.read;

import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.LayerStatus;
import dev.virtchain.qcow2.MapEntry;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A guest range's allocation map, from {@code qemu-img map --output=json} (the oracle) or from {@link ChainMap}. */
public final class MapOracle {
    private static final Pattern ENTRY = Pattern.compile("\\{ \"start\": (\\d+), \"length\": (\\d+), "
            + "\"depth\": (\\d+), \"present\": (true|false), \"zero\": (true|false), \"data\": (true|false)"
            + "(?:, \"offset\": (\\d+))?\\}");

    private MapOracle() {
    }

    public static List<MapEntry> qemu(Path image, long start, long length) {
        String json = Qemu.img(image.getParent(), "map", "--output=json", "--start-offset=" + start,
                "--max-length=" + length, image.getFileName().toString());
        List<MapEntry> out = new ArrayList<>();
        Matcher m = ENTRY.matcher(json);
        while (m.find()) {
            out.add(new MapEntry(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)),
                    Boolean.parseBoolean(m.group(4)), Boolean.parseBoolean(m.group(5)),
                    Boolean.parseBoolean(m.group(6)), m.group(7) == null ? LayerStatus.NO_OFFSET
                            : Long.parseLong(m.group(7))));
        }
        if (out.isEmpty() && length > 0) {
            throw new AssertionError("no map entries in qemu-img map's output: " + json);
        }
        return out;
    }

    /** What {@link ChainMap#walk} gives for the range: entries merged by qemu-img's rule. */
    public static List<MapEntry> ours(Image image, long start, long length) throws IOException {
        List<MapEntry> out = new ArrayList<>();
        long end = Math.min(start + length, image.virtualSize());
        for (long offset = start; offset < end; ) {
            MapEntry e = ChainMap.entryAt(image, offset, Math.min(end - offset, Integer.MAX_VALUE & ~511L));
            int last = out.size() - 1;
            if (last >= 0 && out.get(last).mergeableWith(e)) {
                out.set(last, out.get(last).extendedBy(e));
            } else {
                out.add(e);
            }
            offset += e.length();
        }
        return out;
    }
}
