package dev.virtchain.app.offsite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.qcow2.ErrorKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * What push knows of the objects it wrote, kept beside the set as {@value #NAME}: per file the
 * local file's size and modification time when it was sent (so an unchanged file is not sent
 * again), the ETag the server computed of what it received (so an object changed behind our back
 * is noticed) and the file's checksum as push computed it while sending. Written before the
 * manifest, so every object a remote manifest names is in it.
 */
public record RemoteIndex(Map<String, Entry> files) {
    public static final String NAME = "virtchain.remote.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BYTES = 64L << 20;

    /** One pushed file: local size and mtime (ms) at sending, the server's ETag, the checksum ("crc32c:hex") or null. */
    public record Entry(long size, long mtime, String etag, String checksum) {
    }

    public RemoteIndex {
        files = new TreeMap<>(files);
    }

    /** The set's index, or an empty one when the set has none (nothing pushed yet, or by hand). */
    static RemoteIndex read(Bucket bucket) throws OffsiteException {
        if (bucket.head(NAME).isEmpty()) {
            return new RemoteIndex(Map.of());
        }
        byte[] bytes = bucket.get(NAME, MAX_BYTES);
        try {
            JsonNode root = JSON.readTree(bytes);
            Map<String, Entry> files = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("files").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode e = f.getValue();
                files.put(f.getKey(), new Entry(e.path("size").asLong(), e.path("mtime").asLong(), e.path("etag").asText(),
                        e.hasNonNull("checksum") ? e.get("checksum").asText() : null));
            }
            return new RemoteIndex(files);
        } catch (IOException e) {
            throw new OffsiteException(ErrorKind.CORRUPT, bucket.object(NAME) + " is not a virtchain remote index: "
                    + e.getMessage(), e);
        }
    }

    void write(Bucket bucket) throws OffsiteException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        ObjectNode fs = root.putObject("files");
        files.forEach((name, e) -> {
            ObjectNode o = fs.putObject(name);
            o.put("size", e.size());
            o.put("mtime", e.mtime());
            o.put("etag", e.etag());
            if (e.checksum() != null) {
                o.put("checksum", e.checksum());
            }
        });
        bucket.put(NAME, root.toPrettyString().getBytes(StandardCharsets.UTF_8), Map.of());
    }
}
