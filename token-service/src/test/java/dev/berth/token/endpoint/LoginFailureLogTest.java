package dev.berth.token.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The user name in a failed-login log line is what was typed, but never able to forge or break the line. */
class LoginFailureLogTest {

    @Test
    void userNamesAreQuotedWithControlCharactersEscaped() {
        assertThat(TokenResource.printable("alice")).isEqualTo("\"alice\"");
        assertThat(TokenResource.printable(null)).isEqualTo("-");
        assertThat(TokenResource.printable("")).isEqualTo("-");
        assertThat(TokenResource.printable("eve\nlogin ok: user=\"admin\"")).isEqualTo("\"eve\\x0alogin ok: user=\\x22admin\\x22\"")
                .doesNotContain("\n");
        assertThat(TokenResource.printable("x".repeat(500))).hasSize(128 + 3);
    }
}
