package dev.berth.catalog.visibility;

import dev.berth.core.name.GlobPatterns;
import java.util.List;

/**
 * Who asks, and what they may see: everything (an admin, a {@code registry:catalog:*} holder, or anyone when
 * authentication is off), or the repositories whose names match {@code visibleRegex} (from the token's
 * {@code pullable} globs; see {@link GlobPatterns}).
 *
 * @param subject      the token's {@code sub}; null when authentication is off
 * @param visibleRegex null: every repository
 * @param globs        the globs themselves (non-empty ones), from which the queries build index ranges; null when
 *                     only {@code visibleRegex} is known
 */
public record Caller(String subject, String visibleRegex, List<String> globs) {
    public static final Caller EVERYONE = new Caller(null, null, null);

    public Caller(String subject, String visibleRegex) {
        this(subject, visibleRegex, null);
    }

    /** A caller who sees the repositories matching {@code globs} (none when empty). */
    public static Caller of(String subject, List<String> globs) {
        return new Caller(subject, GlobPatterns.toRegex(globs),
                globs.stream().filter(g -> g != null && !g.isEmpty()).toList());
    }

    public boolean seesAll() {
        return visibleRegex == null;
    }
}
