package dev.berth.core.name;

import java.util.List;

/**
 * Turns repository globs (a token's {@code pullable} globs in catalog-service, gc-worker's policy patterns) into one
 * PostgreSQL regular expression over repository names: {@code *} matches within one path segment ({@code [^/]*}), {@code **} across segments ({@code .*}); every
 * other character matches itself (regular-expression metacharacters are escaped, so a glob can never widen
 * itself with {@code .}, {@code |}, {@code (} and the like). A glob matches whole names only: {@code public/**} matches
 * {@code public/app} and {@code public/a/b}, not {@code public} nor {@code publicity/x}.
 */
public final class GlobPatterns {
    /** Matches no repository name (names are never empty). */
    public static final String NOTHING = "^$";

    private GlobPatterns() {
    }

    public static String toRegex(List<String> globs) {
        StringBuilder regex = new StringBuilder("^(?:");
        boolean any = false;
        for (String glob : globs) {
            if (glob == null || glob.isEmpty()) {
                continue;
            }
            if (any) {
                regex.append('|');
            }
            any = true;
            appendGlob(regex, glob);
        }
        if (!any) {
            return NOTHING;
        }
        return regex.append(")$").toString();
    }

    /**
     * The least string greater than every string starting with {@code prefix} in code point order (the order of
     * the "C" collation over UTF-8): the prefix with its last code point incremented; null when there is none.
     */
    public static String upperBound(String prefix) {
        int end = prefix.length();
        while (end > 0) {
            int last = prefix.codePointBefore(end);
            int start = end - Character.charCount(last);
            int next = last + 1;
            if (next == 0xD800) {
                next = 0xE000; // surrogates are not characters
            }
            if (next <= Character.MAX_CODE_POINT) {
                return prefix.substring(0, start) + new String(Character.toChars(next));
            }
            end = start;
        }
        return null;
    }

    private static void appendGlob(StringBuilder regex, String glob) {
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    regex.append(".*");
                    i++;
                } else {
                    regex.append("[^/]*");
                }
            } else if (Character.isLetterOrDigit(c) && c < 128 || c == '/' || c == '-' || c == '_') {
                regex.append(c);
            } else {
                // everything else literally: a backslash escape for punctuation, a bracket for the rest
                if (c < 128) {
                    regex.append('\\').append(c);
                } else {
                    regex.append('[').append(c).append(']');
                }
            }
        }
    }
}
