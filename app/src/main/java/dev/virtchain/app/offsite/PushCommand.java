package dev.virtchain.app.offsite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.cli.ProgressOptions;
import dev.virtchain.app.prune.InterruptedPrune;
import dev.virtchain.chain.ReadersLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "push",
        mixinStandardHelpOptions = true,
        description = {"Copy a backup directory to S3-compatible object storage (AWS S3, Ceph RGW, MinIO, ...).",
                "Only what the remote set lacks is sent: files already pushed and unchanged are skipped, and the",
                "parts of a push that was interrupted are not sent again. Large files go up in 8 MiB parts, several",
                "at once (--parallel); the server checks each part's MD5, and each file must match the manifest's",
                "checksum as it is read. The manifest goes up last: it is the remote commit point, so the remote",
                "set is always a whole set (the old one until the new manifest is up). Remote files of pruned",
                "points are deleted only with --delete-pruned, and only after the new manifest is up.",
                "Credentials and region as the AWS tools take them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,",
                "or AWS_PROFILE/--profile with ~/.aws/credentials and ~/.aws/config; --endpoint for a service",
                "other than AWS. Credentials are never printed or stored with the set."},
        footer = {"",
                "Examples:",
                "  virtchain push /backup/web01 s3://backups/hosts/kvm1/web01 --endpoint http://rgw.example:7480",
                "  AWS_PROFILE=offsite virtchain push /backup/web01 s3://acme-backups/web01 -p",
                "  virtchain push /backup/web01 s3://backups/web01 --delete-pruned --json"})
public final class PushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The backup directory to copy.")
    Path dir;

    @Parameters(index = "1", paramLabel = "s3://BUCKET/PREFIX", description = "Where the remote set goes.")
    String url;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "Requests in flight at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--delete-pruned", description = "Delete remote files that the local set no longer has "
            + "(points pruned since the last push), after the new manifest is up.")
    boolean deletePruned;

    @Mixin
    JsonOption json;

    @Mixin
    ProgressOptions progress;

    @Override
    public Integer call() throws Exception {
        if (parallel < 1 || parallel > 64) {
            throw new ParameterException(spec.commandLine(), "--parallel " + parallel + ": expected 1 to 64");
        }
        S3Location where = S3Location.parse(url);
        PrintWriter out = spec.commandLine().getOut();
        Push.Result r;
        // The readers lock: no prune rewrites a file while it is sent.
        try (ReadersLock reading = InterruptedPrune.readLocked(dir, spec.commandLine().getErr());
                Bucket bucket = Bucket.open(where, remote)) {
            r = new Push(bucket, dir, parallel, json.json() ? (d, t) -> { } : progress.meter(out)).run(deletePruned);
        }
        progress.finish(out);
        report(r, where, out, json.json(), progress.quiet());
        out.flush();
        return 0;
    }

    /** Prints what a push did, as text or JSON; backup --push prints the same. */
    public static void report(Push.Result r, S3Location where, PrintWriter out, boolean asJson, boolean quiet) {
        if (asJson) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("remote", where.toString());
            o.put("files-sent", r.filesSent());
            o.put("bytes-sent", r.bytesSent());
            o.put("bytes-resumed", r.bytesResumed());
            o.put("files-unchanged", r.filesUnchanged());
            o.put("bytes-unchanged", r.bytesUnchanged());
            var p = o.putArray("pruned");
            r.pruned().forEach(p::add);
            o.put("pruned-deleted", r.prunedDeleted() && !r.pruned().isEmpty());
            o.put("seconds", r.millis() / 1000.0);
            out.println(Json.pretty(o));
            return;
        }
        if (quiet) {
            return;
        }
        out.printf("pushed to %s: %d files sent (%s)%s, %d unchanged (%s), %.1f s%n", where, r.filesSent(),
                bytes(r.bytesSent()), r.bytesResumed() > 0 ? ", " + bytes(r.bytesResumed()) + " of them already there"
                        : "", r.filesUnchanged(), bytes(r.bytesUnchanged()), r.millis() / 1000.0);
        if (!r.pruned().isEmpty()) {
            out.println((r.prunedDeleted() ? "deleted " : "left ") + r.pruned().size() + " remote files of pruned points"
                    + (r.prunedDeleted() ? "" : " (the local set no longer has them; --delete-pruned deletes them)")
                    + ": " + String.join(", ", r.pruned()));
        }
    }

    static String bytes(long n) {
        if (n < 1 << 20) {
            return n + " bytes";
        }
        return String.format("%.1f MiB", n / 1048576.0);
    }
}
