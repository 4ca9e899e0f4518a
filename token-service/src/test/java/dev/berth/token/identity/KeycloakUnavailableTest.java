package dev.berth.token.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.token.TokenClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Keycloak configured but unreachable: a login is a 503 (retry later), not a failed login. */
@QuarkusTest
@TestProfile(KeycloakUnavailableTest.DeadKeycloak.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class KeycloakUnavailableTest {

    public static class DeadKeycloak implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("token.keycloak.url", "http://127.0.0.1:" + closedPort(), "token.keycloak.timeout", "PT3S");
        }
    }

    @Test
    void aLoginWhileKeycloakIsDownIsAServerSideFailure() {
        Response response = TokenClient.get("alice", "alice-password", "repository:alice/app:pull");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isNotNull();
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
