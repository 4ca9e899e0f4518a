package dev.berth.core.name;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The glob translation, checked with java.util.regex (whose syntax agrees with PostgreSQL's for what the
 * translation emits: anchors, non-capturing groups, alternation, bracket classes, backslash escapes).
 */
class GlobPatternsTest {

    private static boolean matches(List<String> globs, String name) {
        return Pattern.compile(GlobPatterns.toRegex(globs)).matcher(name).find();
    }

    @Test
    void doubleStarCrossesSegmentsSingleStarDoesNot() {
        List<String> globs = List.of("public/**", "alice/*");
        assertThat(matches(globs, "public/app")).isTrue();
        assertThat(matches(globs, "public/a/b/c")).isTrue();
        assertThat(matches(globs, "alice/app")).isTrue();
        assertThat(matches(globs, "alice/app/sub")).isFalse();
        assertThat(matches(globs, "public")).isFalse();
        assertThat(matches(globs, "publicity/app")).isFalse();
        assertThat(matches(globs, "bob/app")).isFalse();
        assertThat(matches(globs, "x/public/app")).isFalse();
    }

    @Test
    void starsInsideSegments() {
        List<String> globs = List.of("team-*/app", "release/*-stable", "**");
        assertThat(matches(List.of("team-*/app"), "team-a/app")).isTrue();
        assertThat(matches(List.of("team-*/app"), "team-a/b/app")).isFalse();
        assertThat(matches(List.of("release/*-stable"), "release/v1-stable")).isTrue();
        assertThat(matches(List.of("release/*-stable"), "release/v1-unstable-x")).isFalse();
        assertThat(matches(globs, "anything/at/all")).isTrue();
    }

    @Test
    void regexMetacharactersAreLiteral() {
        assertThat(matches(List.of("a.b/**"), "a.b/x")).isTrue();
        assertThat(matches(List.of("a.b/**"), "axb/x")).isFalse();
        assertThat(matches(List.of("a|b"), "a")).isFalse();
        assertThat(matches(List.of("a|b"), "a|b")).isTrue();
        assertThat(matches(List.of("(x)+"), "xx")).isFalse();
        assertThat(matches(List.of("x$|^y"), "y")).isFalse();
        assertThat(matches(List.of("[a-z]"), "q")).isFalse();
        assertThat(matches(List.of("n\\d"), "n1")).isFalse();
        assertThat(GlobPatterns.toRegex(List.of("a.b?c+d{1}"))).isEqualTo("^(?:a\\.b\\?c\\+d\\{1\\})$");
    }

    @Test
    void noGlobsSeeNothing() {
        assertThat(GlobPatterns.toRegex(List.of())).isEqualTo(GlobPatterns.NOTHING);
        assertThat(matches(List.of(), "public/app")).isFalse();
        assertThat(matches(java.util.Arrays.asList("", null), "x")).isFalse();
    }

    @Test
    void upperBoundEndsTheRangeOfAPrefix() {
        assertThat(GlobPatterns.upperBound("public/")).isEqualTo("public0");
        assertThat(GlobPatterns.upperBound("a\uDBFF\uDFFF")).isEqualTo("b");
        assertThat(GlobPatterns.upperBound("\uDBFF\uDFFF")).isNull();
        // every name a glob matches lies in [prefix, upperBound(prefix)) in code point order
        for (String name : List.of("public/app", "public/a/b", "public/\u00e9t\u00e9", "public/~")) {
            assertThat(name.compareTo("public/") >= 0 && name.compareTo(GlobPatterns.upperBound("public/")) < 0).isTrue();
        }
    }
}
