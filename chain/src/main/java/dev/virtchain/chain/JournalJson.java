package dev.virtchain.chain;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtchain.chain.prune.ManifestChange;
import dev.virtchain.chain.prune.PruneJournal;
import dev.virtchain.chain.prune.PruneStep;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** The {@code prune} field of a format 2 manifest: the journal of a prune under way, written and read. */
final class JournalJson {
    private JournalJson() {
    }

    static void encode(ObjectNode o, PruneJournal j) {
        o.put("began", DateTimeFormatter.ISO_INSTANT.format(j.began()));
        o.put("done", j.done());
        o.put("started", j.started());
        ArrayNode steps = o.putArray("steps");
        for (PruneStep step : j.steps()) {
            ObjectNode n = steps.addObject();
            if (step instanceof PruneStep.Commit c) {
                n.put("step", "commit");
                n.put("target", c.target());
                n.put("into", c.into());
                ArrayNode through = n.putArray("through");
                c.through().forEach(through::add);
                n.put("top", c.top());
                n.put("virtualSize", c.virtualSize());
                n.put("bytesToCopy", c.bytesToCopy());
            } else if (step instanceof PruneStep.Rename r) {
                n.put("step", "rename");
                n.put("from", r.from());
                n.put("to", r.to());
                n.put("bytesReplaced", r.bytesReplaced());
            } else if (step instanceof PruneStep.DeleteFile f) {
                n.put("step", "deleteFile");
                n.put("file", f.file());
                n.put("bytes", f.bytes());
            } else if (step instanceof PruneStep.DeleteSavedFiles f) {
                n.put("step", "deleteSavedFiles");
                n.put("seq", f.seq());
            } else if (step instanceof PruneStep.DeleteCheckpoint c) {
                n.put("step", "deleteCheckpoint");
                n.put("checkpoint", c.checkpoint());
            } else if (step instanceof PruneStep.ManifestUpdate u) {
                n.put("step", "manifestUpdate");
                ArrayNode changes = n.putArray("changes");
                for (ManifestChange change : u.changes()) {
                    ObjectNode c = changes.addObject();
                    if (change instanceof ManifestChange.Unlist l) {
                        c.put("change", "unlist");
                        c.put("seq", l.seq());
                    } else if (change instanceof ManifestChange.Forget f) {
                        c.put("change", "forget");
                        c.put("seq", f.seq());
                    } else if (change instanceof ManifestChange.Rewrite w) {
                        c.put("change", "rewrite");
                        ManifestJson.encodeBackup(c.putObject("after"), w.after());
                        ArrayNode recompute = c.putArray("recomputeChecksums");
                        w.recomputeChecksums().forEach(recompute::add);
                    }
                }
            }
        }
    }

    static PruneJournal decode(JsonFields j) throws ManifestException {
        j.only("began", "done", "started", "steps");
        Instant began = j.instant("began");
        int done = j.integer("done");
        boolean started = j.bool("started");
        List<PruneStep> steps = new ArrayList<>();
        for (JsonFields s : j.objects("steps")) {
            steps.add(step(s));
        }
        return j.build(() -> new PruneJournal(began, steps, done, started));
    }

    private static PruneStep step(JsonFields s) throws ManifestException {
        String kind = s.string("step");
        switch (kind) {
            case "commit" -> {
                s.only("step", "target", "into", "through", "top", "virtualSize", "bytesToCopy");
                String target = s.string("target");
                String into = s.fileName("into");
                List<String> through = new ArrayList<>();
                for (String f : s.strings("through")) {
                    through.add(s.checkFileName("through", f));
                }
                String top = s.fileName("top");
                long size = s.longValue("virtualSize");
                long bytes = s.longValue("bytesToCopy");
                return s.build(() -> new PruneStep.Commit(target, into, through, top, size, bytes));
            }
            case "rename" -> {
                s.only("step", "from", "to", "bytesReplaced");
                return new PruneStep.Rename(s.fileName("from"), s.fileName("to"), s.longValue("bytesReplaced"));
            }
            case "deleteFile" -> {
                s.only("step", "file", "bytes");
                return new PruneStep.DeleteFile(s.fileName("file"), s.longValue("bytes"));
            }
            case "deleteSavedFiles" -> {
                s.only("step", "seq");
                return new PruneStep.DeleteSavedFiles(s.integer("seq"));
            }
            case "deleteCheckpoint" -> {
                s.only("step", "checkpoint");
                String name = s.string("checkpoint");
                if (!Naming.isCheckpointName(name)) {
                    throw s.bad("checkpoint", "'" + name + "' is not a checkpoint name");
                }
                return new PruneStep.DeleteCheckpoint(name);
            }
            case "manifestUpdate" -> {
                s.only("step", "changes");
                List<ManifestChange> changes = new ArrayList<>();
                for (JsonFields c : s.objects("changes")) {
                    changes.add(change(c));
                }
                return s.build(() -> new PruneStep.ManifestUpdate(changes));
            }
            default -> throw s.bad("step", "'" + kind + "' is not a prune step (commit, rename, deleteFile, "
                    + "deleteSavedFiles, deleteCheckpoint, manifestUpdate)");
        }
    }

    private static ManifestChange change(JsonFields c) throws ManifestException {
        String kind = c.string("change");
        switch (kind) {
            case "unlist" -> {
                c.only("change", "seq");
                return new ManifestChange.Unlist(c.integer("seq"));
            }
            case "forget" -> {
                c.only("change", "seq");
                return new ManifestChange.Forget(c.integer("seq"));
            }
            case "rewrite" -> {
                c.only("change", "after", "recomputeChecksums");
                Backup after = ManifestJson.backup(c.object("after"), true);
                List<String> recompute = c.strings("recomputeChecksums");
                return new ManifestChange.Rewrite(after, recompute);
            }
            default -> throw c.bad("change", "'" + kind + "' is not a manifest change (unlist, forget, rewrite)");
        }
    }
}
