package dev.berth.gc.collector.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.gc.config.GcConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

    private static GcConfig.Retention settings(Integer keepLast, Duration olderThan, List<String> include,
            List<String> exclude) {
        return new GcConfig.Retention() {
            @Override
            public List<String> repositories() {
                return List.of("team-a/**");
            }

            @Override
            public Optional<Integer> keepLast() {
                return Optional.ofNullable(keepLast);
            }

            @Override
            public Optional<Duration> olderThan() {
                return Optional.ofNullable(olderThan);
            }

            @Override
            public Optional<List<String>> include() {
                return Optional.ofNullable(include);
            }

            @Override
            public List<String> exclude() {
                return exclude;
            }
        };
    }

    @Test
    void patternsMatchWholeTagNamesAndAlternativesStaySeparate() {
        RetentionPolicy policy = RetentionPolicy.of("p", settings(3, null, List.of("ci-.*", "a|b"),
                List.of("latest", "v?[0-9]+[.][0-9]+[.][0-9]+")));
        Pattern include = Pattern.compile(policy.includeRegex());
        Pattern exclude = Pattern.compile(policy.excludeRegex());

        assertThat(include.matcher("ci-42").matches()).isTrue();
        assertThat(include.matcher("b").matches()).isTrue();
        assertThat(include.matcher("x-ci-42").find()).isFalse();
        assertThat(exclude.matcher("v1.2.3").find()).isTrue();
        assertThat(exclude.matcher("1.2.3").find()).isTrue();
        assertThat(exclude.matcher("1.2.3-rc1").find()).isFalse();
        assertThat(exclude.matcher("1x2x3").find()).isFalse();
        assertThat(exclude.matcher("latest-dev").find()).isFalse();
        assertThat(policy.repositoryRegex()).isEqualTo("^(?:team-a/.*)$");
    }

    @Test
    void noIncludeMeansEveryTag() {
        assertThat(RetentionPolicy.of("p", settings(null, Duration.ofDays(1), null, List.of("latest"))).includeRegex())
                .isNull();
    }

    @Test
    void aPolicyNeedsALimitAndValidPatterns() {
        assertThatThrownBy(() -> RetentionPolicy.of("p", settings(null, null, null, List.of())))
                .hasMessageContaining("neither keep-last nor older-than");
        assertThatThrownBy(() -> RetentionPolicy.of("p", settings(-1, null, null, List.of())))
                .hasMessageContaining("keep-last");
        assertThatThrownBy(() -> RetentionPolicy.of("p", settings(1, null, List.of("("), List.of())))
                .hasMessageContaining("invalid tag pattern");
    }
}
