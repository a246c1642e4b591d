package dev.virtchain.qcow2.check;

import dev.virtchain.qcow2.CheckResult;
import dev.virtchain.qcow2.Image;
import dev.virtchain.qcow2.read.Images;
import dev.virtchain.qcow2.read.Qcow2Image;
import dev.virtchain.qcow2.testing.Qemu;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One image's check verdict, from qemu-img check (the oracle) or from {@link Qcow2Check}. */
public record CheckOracle(Map<String, Long> counts, int exitCode, List<String> problems) {
    private static final Pattern NUMBER_FIELD = Pattern.compile("\"([a-z-]+)\": (\\d+)");

    public static CheckOracle qemu(Path image) {
        Qemu.Result r = Qemu.run(image.getParent(), "qemu-img", "check", "--output=json",
                image.getFileName().toString());
        Map<String, Long> counts = new LinkedHashMap<>();
        Matcher m = NUMBER_FIELD.matcher(r.stdout());
        while (m.find()) {
            counts.put(m.group(1), Long.parseLong(m.group(2)));
        }
        List<String> problems = new ArrayList<>();
        for (String line : r.stderr().split("\n")) {
            if (!line.isEmpty() && !line.startsWith("qemu-img:")) {
                problems.add(line);
            }
        }
        return new CheckOracle(counts, r.exitCode(), problems);
    }

    public static CheckOracle ours(Path image) throws IOException {
        List<String> problems = new ArrayList<>();
        try (Image img = Images.open(image.toString(), null, true)) {
            CheckResult r = Qcow2Check.check((Qcow2Image) img, problems::add);
            Map<String, Long> counts = new LinkedHashMap<>();
            if (r.failure() == null) {
                // The fields qemu-img prints, each only when it is nonzero (check-errors always).
                putNonZero(counts, "image-end-offset", r.imageEndOffset());
                putNonZero(counts, "compressed-clusters", r.compressedClusters());
                putNonZero(counts, "total-clusters", r.totalClusters());
                putNonZero(counts, "corruptions", r.corruptions());
                counts.put("check-errors", r.checkErrors());
                putNonZero(counts, "leaks", r.leaks());
                putNonZero(counts, "allocated-clusters", r.allocatedClusters());
                putNonZero(counts, "fragmented-clusters", r.fragmentedClusters());
            }
            return new CheckOracle(counts, r.exitCode(), problems);
        }
    }

    private static void putNonZero(Map<String, Long> m, String key, long v) {
        if (v != 0) {
            m.put(key, v);
        }
    }

    public long count(String field) {
        return counts.getOrDefault(field, 0L);
    }
}
