package dev.berth.gc.collector.retention;

import dev.berth.core.name.GlobPatterns;
import dev.berth.gc.config.GcConfig;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One {@code gc.retention."<name>".*} policy, checked and turned into what its statement takes: regular expressions
 * (PostgreSQL's, which agree with Java's for ordinary patterns) over whole repository and tag names.
 *
 * @param includeRegex null: every tag is a candidate
 * @param excludeRegex null: no tag is protected
 * @param keepLast     null: no count limit
 * @param olderThan    null: no age limit
 */
record RetentionPolicy(String name, String repositoryRegex, String includeRegex, String excludeRegex, Integer keepLast,
        Duration olderThan) {

    /** The policy, or an exception saying what is wrong with its settings. */
    static RetentionPolicy of(String name, GcConfig.Retention settings) {
        Integer keepLast = settings.keepLast().orElse(null);
        Duration olderThan = settings.olderThan().orElse(null);
        if (keepLast == null && olderThan == null) {
            // without a limit the policy would delete every candidate tag
            throw new IllegalArgumentException("policy " + name + " sets neither keep-last nor older-than");
        }
        if (keepLast != null && keepLast < 0) {
            throw new IllegalArgumentException("policy " + name + ": keep-last must not be negative");
        }
        if (olderThan != null && olderThan.isNegative()) {
            throw new IllegalArgumentException("policy " + name + ": older-than must not be negative");
        }
        String repositories = GlobPatterns.toRegex(settings.repositories());
        return new RetentionPolicy(name, repositories, wholeName(name, settings.include().orElse(List.of())),
                wholeName(name, settings.exclude()), keepLast, olderThan);
    }

    /** {@code ^(?:(?:a)|(?:b))$}, or null for no patterns. */
    private static String wholeName(String policy, List<String> patterns) {
        StringBuilder regex = new StringBuilder();
        for (String pattern : patterns) {
            if (pattern == null || pattern.isBlank()) {
                continue;
            }
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("policy " + policy + ": invalid tag pattern " + pattern, e);
            }
            regex.append(regex.isEmpty() ? "^(?:" : "|").append("(?:").append(pattern).append(')');
        }
        return regex.isEmpty() ? null : regex.append(")$").toString();
    }
}
