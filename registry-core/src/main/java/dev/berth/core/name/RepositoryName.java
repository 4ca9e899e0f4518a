package dev.berth.core.name;

import java.util.regex.Pattern;

/**
 * A repository name as the OCI distribution spec defines it: path components of lower-case
 * alphanumerics joined by single separators, at most 255 characters. The grammar admits no {@code .}
 * or {@code ..} component, no leading slash and no empty component, so a valid name is safe in paths.
 */
public record RepositoryName(String value) {
    public static final int MAX_LENGTH = 255;
    private static final Pattern GRAMMAR = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

    public RepositoryName {
        if (!isValid(value)) {
            throw new InvalidNameException("invalid repository name: " + abbreviate(value));
        }
    }

    public static boolean isValid(String value) {
        return value != null && !value.isEmpty() && value.length() <= MAX_LENGTH && GRAMMAR.matcher(value).matches();
    }

    /** The first path component, the namespace that access policy is decided on. */
    public String namespace() {
        int slash = value.indexOf('/');
        return slash < 0 ? value : value.substring(0, slash);
    }

    @Override
    public String toString() {
        return value;
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "(none)";
        }
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
