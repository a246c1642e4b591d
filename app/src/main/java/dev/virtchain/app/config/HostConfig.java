package dev.virtchain.app.config;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * What a config file says: the defaults of every domain and the sections of single domains or
 * globs of domain names. {@link #resolve} lays them, and the command line, over the built-in defaults.
 *
 * @param file     the file it was read from; null when there is none (every setting built in)
 * @param uri      the libvirt URI; null for the command's default
 * @param parallel how many domains are backed up at once; null for 1
 */
public record HostConfig(Path file, String uri, Integer parallel, Settings defaults, List<Section> sections) {

    /** No file: nothing but the built-in defaults. */
    public static final HostConfig EMPTY = new HostConfig(null, null, null, Settings.NONE, List.of());

    public HostConfig {
        sections = List.copyOf(sections);
    }

    /**
     * One {@code [domain."PATTERN"]} section: a domain's name, or a glob of names ({@code *}, {@code ?},
     * {@code [abc]}, {@code {a,b}}).
     */
    public record Section(String pattern, Settings settings) {
        /** Whether the pattern is a glob rather than one name. */
        public boolean isGlob() {
            return isGlob(pattern);
        }

        public boolean matches(String domain) {
            return isGlob() ? glob(pattern).matches(Path.of(domain)) : pattern.equals(domain);
        }

        /** Whether {@code pattern} has a glob character, so names many domains. */
        public static boolean isGlob(String pattern) {
            return pattern.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0);
        }

        /** The matcher of a glob of domain names; IllegalArgumentException, one line, when it is not a glob. */
        public static PathMatcher glob(String pattern) {
            try {
                return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException(e.getDescription() + " at character " + (e.getIndex() + 1));
            }
        }
    }

    /**
     * The effective settings of {@code domain}: built-in defaults, then {@code [defaults]}, then every
     * glob section that matches it in the file's order, then its own section, then {@code commandLine};
     * each layer's keys win over the ones before.
     */
    public DomainSettings resolve(String domain, Settings commandLine) {
        Settings s = defaults.over(Settings.BUILT_IN);
        List<String> applied = new ArrayList<>();
        for (boolean globs : new boolean[] {true, false}) {
            for (Section sec : sections) {
                if (sec.isGlob() == globs && sec.matches(domain)) {
                    s = sec.settings().over(s);
                    applied.add(sec.pattern());
                }
            }
        }
        s = commandLine.over(s);
        return new DomainSettings(domain, s.root() == null ? null : s.root().resolve(domain), s, applied);
    }
}
