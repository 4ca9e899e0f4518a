package dev.berth.token.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which service-account clients are kept, reused and closed. */
class ServiceAccountClientsTest {

    /** Counts nothing but whether it was closed. */
    static final class FakeClient implements OidcClient {
        boolean closed;

        @Override
        public Uni<Tokens> getTokens(Map<String, String> additionalGrantParameters) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Uni<Tokens> refreshTokens(String refreshToken, Map<String, String> additionalGrantParameters) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Uni<Boolean> revokeAccessToken(String accessToken, Map<String, String> additionalParameters) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void onlyGrantedClientsAreKeptAndReusedForTheSameSecret() {
        ServiceAccountClients clients = new ServiceAccountClients(4);
        ServiceAccountClients.Lease first = clients.lease("ci", "secret", FakeClient::new);
        assertThat(first.cached()).isFalse();
        clients.granted(first);
        ServiceAccountClients.Lease again = clients.lease("ci", "secret", FakeClient::new);
        assertThat(again.cached()).isTrue();
        assertThat(again.client()).isSameAs(first.client());

        // another secret for the same client id is another client, closed when refused
        ServiceAccountClients.Lease wrong = clients.lease("ci", "guess", FakeClient::new);
        assertThat(wrong.cached()).isFalse();
        clients.refused(wrong);
        assertThat(((FakeClient) wrong.client()).closed).isTrue();
        assertThat(clients.lease("ci", "guess", FakeClient::new).cached()).isFalse();
    }

    @Test
    void aRefusedCachedClientIsForgottenAndAnUnavailableKeycloakKeepsIt() {
        ServiceAccountClients clients = new ServiceAccountClients(4);
        clients.granted(clients.lease("ci", "secret", FakeClient::new));
        ServiceAccountClients.Lease cached = clients.lease("ci", "secret", FakeClient::new);
        clients.failed(cached);
        assertThat(((FakeClient) cached.client()).closed).isFalse();
        assertThat(clients.lease("ci", "secret", FakeClient::new).cached()).isTrue();

        clients.refused(cached);
        assertThat(((FakeClient) cached.client()).closed).isTrue();
        assertThat(clients.lease("ci", "secret", FakeClient::new).cached()).isFalse();
    }

    @Test
    void theLeastRecentlyUsedClientIsClosedBeyondTheBound() {
        ServiceAccountClients clients = new ServiceAccountClients(2);
        ServiceAccountClients.Lease a = clients.lease("a", "s", FakeClient::new);
        clients.granted(a);
        ServiceAccountClients.Lease b = clients.lease("b", "s", FakeClient::new);
        clients.granted(b);
        clients.lease("a", "s", FakeClient::new); // a used again: b is now the eldest
        clients.granted(clients.lease("c", "s", FakeClient::new));
        assertThat(((FakeClient) b.client()).closed).isTrue();
        assertThat(((FakeClient) a.client()).closed).isFalse();
        assertThat(clients.lease("b", "s", FakeClient::new).cached()).isFalse();
        assertThat(clients.lease("a", "s", FakeClient::new).cached()).isTrue();
    }
}
