package dev.berth.catalog.visibility;

/**
 * Who asks, and what they may see: everything (an admin, a {@code registry:catalog:*} holder, or anyone when
 * authentication is off), or the repositories whose names match {@code visibleRegex} (from the token's
 * {@code pullable} globs; see {@link GlobPatterns}).
 *
 * @param subject      the token's {@code sub}; null when authentication is off
 * @param visibleRegex null: every repository
 */
public record Caller(String subject, String visibleRegex) {
    public static final Caller EVERYONE = new Caller(null, null);

    public boolean seesAll() {
        return visibleRegex == null;
    }
}
