package dev.berth.core.name;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.core.digest.InvalidDigestException;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void repositoryNames() {
        assertThat(RepositoryName.isValid("library/ubuntu")).isTrue();
        assertThat(RepositoryName.isValid("a/b-c/d__e/f.g")).isTrue();
        assertThat(RepositoryName.isValid("a--b")).isTrue();
        for (String bad : new String[] {"", "A", "a/../b", "..", "a/./b", "/a", "a/", "a//b", "a..b", "-a", "a_", "a___b",
                "a".repeat(256)}) {
            assertThat(RepositoryName.isValid(bad)).as(bad).isFalse();
        }
        assertThat(new RepositoryName("team/app/x").namespace()).isEqualTo("team");
        assertThatThrownBy(() -> new RepositoryName("Bad")).isInstanceOf(InvalidNameException.class);
    }

    @Test
    void tags() {
        assertThat(Tag.isValid("v1.0.0-rc_1")).isTrue();
        assertThat(Tag.isValid("_")).isTrue();
        assertThat(Tag.isValid("a".repeat(128))).isTrue();
        assertThat(Tag.isValid("a".repeat(129))).isFalse();
        assertThat(Tag.isValid(".a")).isFalse();
        assertThat(Tag.isValid("-a")).isFalse();
        assertThat(Tag.isValid("a:b")).isFalse();
    }

    @Test
    void references() {
        assertThat(Reference.parse("latest")).isInstanceOf(Reference.ByTag.class);
        assertThat(Reference.parse("sha256:" + "b".repeat(64))).isInstanceOf(Reference.ByDigest.class);
        assertThatThrownBy(() -> Reference.parse("sha256:zz")).isInstanceOf(InvalidDigestException.class);
    }
}
