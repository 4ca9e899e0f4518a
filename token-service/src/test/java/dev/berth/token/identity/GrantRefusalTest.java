package dev.berth.token.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What oidc-client reports when a grant fails: a refusal (failed login) or an unavailable Keycloak (503). */
class GrantRefusalTest {

    @Test
    void oauthErrorResponsesAreRefusals() {
        assertThat(KeycloakClient.refusal("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid user credentials\"}"))
                .isTrue();
        assertThat(KeycloakClient.refusal("{\"error\":\"unauthorized_client\",\"error_description\":\"Invalid client or Invalid client credentials\"}"))
                .isTrue();
        assertThat(KeycloakClient.refusal("{\"error\":\"invalid_client\"}")).isTrue();
    }

    @Test
    void serverFailuresAndUnreachableKeycloakAreNot() {
        // oidc-client's own text when the connection fails
        assertThat(KeycloakClient.refusal("OIDC Server is not available")).isFalse();
        assertThat(KeycloakClient.refusal("{\"error\":\"unknown_error\"}")).isFalse();
        assertThat(KeycloakClient.refusal("{\"error\":\"temporarily_unavailable\"}")).isFalse();
        assertThat(KeycloakClient.refusal("<html><body>502 Bad Gateway</body></html>")).isFalse();
        assertThat(KeycloakClient.refusal("{not json")).isFalse();
        assertThat(KeycloakClient.refusal(null)).isFalse();
    }
}
