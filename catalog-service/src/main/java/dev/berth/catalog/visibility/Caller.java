package dev.berth.catalog.visibility;

import java.util.List;

/**
 * Who asks, and what they may see: everything (an admin, a {@code registry:catalog:*} holder, or anyone when
 * authentication is off), or the repositories whose names match {@code visibleRegex} (from the token's
 * {@code pullable} globs; see {@link GlobPatterns}).
 *
 * @param subject      the token's {@code sub}; null when authentication is off
 * @param visibleRegex null: every repository
 * @param prefixes     the literal prefixes of the globs (a visible name starts with one of them), so that the
 *                     database can narrow the names by an index range before applying the regex; null when a glob
 *                     starts with a wildcard (then only the regex can tell)
 */
public record Caller(String subject, String visibleRegex, List<String> prefixes) {
    public static final Caller EVERYONE = new Caller(null, null, null);

    public Caller(String subject, String visibleRegex) {
        this(subject, visibleRegex, null);
    }

    /** A caller who sees the repositories matching {@code globs} (none when empty). */
    public static Caller of(String subject, List<String> globs) {
        return new Caller(subject, GlobPatterns.toRegex(globs), GlobPatterns.literalPrefixes(globs));
    }

    public boolean seesAll() {
        return visibleRegex == null;
    }
}
