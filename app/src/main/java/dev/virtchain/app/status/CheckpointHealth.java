package dev.virtchain.app.status;

import dev.virtchain.chain.Backup;
import dev.virtchain.chain.Manifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A domain's libvirt checkpoints against its backup directory's manifest.
 *
 * <p>The manifest expects the checkpoints of its restore points since the newest full: a full
 * deletes the checkpoints before it, and a prune those of the points it drops. Of those:
 * <ul>
 * <li>missing: libvirt does not list them (a daemon reinstalled, the domain redefined, deleted by hand);
 *     the next backup redefines them from {@code checkpoints/} when it can;
 * <li>stale: libvirt lists them but cannot count the changes since them on a disk the domain has,
 *     because a bitmap is missing or broken (qemu killed, a disk replaced): an inc or diff from them fails;
 * </ul>
 * and foreign: what libvirt lists that the manifest does not name (other tools', another backup
 * set's, what a killed run left): each keeps a bitmap that every guest write updates.
 *
 * @param state    ok, problems (any of the three lists not empty), or unknown (libvirt not asked or not reached)
 * @param reason   why the state is unknown, or which part was not checked (stale bitmaps of a domain
 *                 not running); null otherwise
 * @param expected the checkpoints the manifest expects, oldest first
 * @param missing  expected, not listed by libvirt
 * @param foreign  listed by libvirt, not named by the manifest
 * @param stale    listed and expected, with a bitmap missing or broken; null when not checked
 */
record CheckpointHealth(State state, String reason, List<String> expected, List<String> missing, List<String> foreign,
        List<String> stale) {

    enum State {
        OK, PROBLEMS, UNKNOWN;

        String word() {
            return name().toLowerCase();
        }
    }

    CheckpointHealth {
        expected = List.copyOf(expected);
        missing = List.copyOf(missing);
        foreign = List.copyOf(foreign);
        stale = stale == null ? null : List.copyOf(stale);
    }

    /** Health that could not be learnt, and why: "domain web01: no such domain on qemu:///system". */
    static CheckpointHealth unknown(Manifest m, String reason) {
        return new CheckpointHealth(State.UNKNOWN, reason, m == null ? List.of() : expected(m), List.of(), List.of(), null);
    }

    /**
     * The health of {@code m}'s checkpoints given what libvirt lists and which of them it could not
     * size ({@code stale}; null when that was not checked, with {@code note} saying why).
     */
    static CheckpointHealth of(Manifest m, List<String> listed, List<String> stale, String note) {
        List<String> expected = expected(m);
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(listed);
        List<String> foreign = new ArrayList<>(listed);
        m.backups().forEach(b -> foreign.remove(b.checkpoint()));
        boolean bad = !missing.isEmpty() || !foreign.isEmpty() || stale != null && !stale.isEmpty();
        return new CheckpointHealth(bad ? State.PROBLEMS : State.OK, note, expected, missing, foreign, stale);
    }

    /** The checkpoints libvirt should list for {@code m}: those of its restore points since the newest full. */
    static List<String> expected(Manifest m) {
        Optional<Backup> full = m.latestFull();
        if (full.isEmpty()) {
            return List.of();
        }
        return m.restorePoints().stream()
                .filter(b -> b.seq() >= full.get().seq() && b.checkpoint() != null)
                .map(Backup::checkpoint)
                .toList();
    }

    /** One line for people: "ok", "missing virtchain.ab.0003; foreign other-tool.1", "unknown: REASON". */
    String summary() {
        if (state == State.UNKNOWN) {
            return "unknown: " + reason;
        }
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("missing " + String.join(", ", missing));
        }
        if (stale != null && !stale.isEmpty()) {
            parts.add("stale bitmaps " + String.join(", ", stale));
        }
        if (!foreign.isEmpty()) {
            parts.add("foreign " + String.join(", ", foreign));
        }
        String what = parts.isEmpty() ? "ok" : String.join("; ", parts);
        return reason == null ? what : what + " (" + reason + ")";
    }
}
