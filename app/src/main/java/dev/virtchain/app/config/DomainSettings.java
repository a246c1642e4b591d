package dev.virtchain.app.config;

import dev.virtchain.chain.prune.RetentionPolicy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The effective settings of one domain in a host-wide run: the built-in defaults, the config
 * file's {@code [defaults]}, its sections that match the domain and the command line, in that order.
 *
 * @param domain   the domain's name
 * @param dir      its backup directory, {@code root/<domain>}; null when no root is set anywhere
 * @param settings every field set (only {@code root} may be null)
 * @param sections the config sections that matched, in the order they were applied
 */
public record DomainSettings(String domain, Path dir, Settings settings, List<String> sections) {

    public DomainSettings {
        sections = List.copyOf(sections);
    }

    public boolean skip() {
        return settings.skip();
    }

    /** The keep rules, or null when this domain is not pruned. */
    public RetentionPolicy keepOrNull() {
        return settings.keep().isEmpty() ? null : settings.keep();
    }

    /** For {@code config check --json}. */
    public Map<String, Object> json() {
        Settings s = settings;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", domain);
        m.put("skip", s.skip());
        m.put("dir", dir == null ? null : dir.toString());
        m.put("level", s.level().word());
        m.put("checksum", s.checksum());
        m.put("freeze", s.freeze());
        m.put("freeze-mountpoints", s.freezeMountpoints());
        m.put("start-paused", s.startPaused());
        m.put("pre-hook", s.preHook());
        m.put("post-hook", s.postHook());
        m.put("hook-timeout", s.hookTimeout());
        m.put("auto-full", s.autoFull());
        m.put("include", s.include());
        m.put("exclude", s.exclude());
        m.put("keep", keepJson(s.keep()));
        m.put("sections", sections);
        return m;
    }

    /** One line for people: where, how, what is pruned. */
    public String describe() {
        Settings s = settings;
        if (s.skip()) {
            return domain + ": skipped (skip = true)";
        }
        StringBuilder b = new StringBuilder(domain).append(": ")
                .append(dir == null ? "no backup root set" : dir.toString())
                .append(", level ").append(s.level().word())
                .append(", checksum ").append(s.checksum())
                .append(", freeze ").append(s.freeze() ? "on" : "off");
        if (!s.freezeMountpoints().isEmpty()) {
            b.append(" (").append(String.join(",", s.freezeMountpoints())).append(')');
        }
        b.append(s.include().isEmpty() ? ", disks: all" : ", disks: " + String.join(",", s.include()));
        if (!s.exclude().isEmpty()) {
            b.append(" but ").append(String.join(",", s.exclude()));
        }
        if (s.startPaused()) {
            b.append(", started paused when shut off");
        }
        if (s.autoFull()) {
            b.append(", auto-full");
        }
        if (s.preHook() != null) {
            b.append(", pre-hook '").append(s.preHook()).append('\'');
        }
        if (s.postHook() != null) {
            b.append(", post-hook '").append(s.postHook()).append('\'');
        }
        b.append(s.keep().isEmpty() ? ", no prune" : ", then prune: " + s.keep().describe());
        return b.toString();
    }

    private static Map<String, Object> keepJson(RetentionPolicy p) {
        if (p.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("last", p.keepLast());
        m.put("hourly", p.keepHourly());
        m.put("daily", p.keepDaily());
        m.put("weekly", p.keepWeekly());
        m.put("monthly", p.keepMonthly());
        m.put("yearly", p.keepYearly());
        m.put("within", p.keepWithin() == null ? null : p.keepWithin().toSeconds() + "s");
        return m;
    }
}
