package dev.berth.token.endpoint;

import static dev.berth.token.TokenClient.actions;
import static dev.berth.token.TokenClient.payload;
import static dev.berth.token.TokenClient.token;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.KeycloakTestResource;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code pullable} claim catalog-service filters by, for the users of the real Keycloak realm of deploy/keycloak:
 * a caller asking for {@code registry:catalog:*} without being granted it learns the repository globs it may pull.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)
class CatalogVisibilityTest {

    @Test
    void twoUsersSeeDifferentGlobs() {
        String alice = token("alice", "alice-password", "registry:catalog:*");
        String bob = token("bob", "bob-password", "registry:catalog:*");
        assertThat(actions(alice, "registry", "catalog")).isEmpty();
        assertThat(pullable(alice)).containsExactly("alice/**", "library/**", "public/**", "team-a/**");
        assertThat(pullable(bob)).containsExactly("bob/**", "library/**", "public/**");
    }

    @Test
    void anonymousSeesThePublicNamespacesOnly() {
        String jwt = token(null, null, "registry:catalog:*");
        assertThat(actions(jwt, "registry", "catalog")).isEmpty();
        assertThat(pullable(jwt)).containsExactly("library/**", "public/**");
    }

    @Test
    void adminIsGrantedTheCatalogAndNeedsNoGlobs() {
        String jwt = token("ada", "ada-password", "registry:catalog:*");
        assertThat(actions(jwt, "registry", "catalog")).containsExactly("*");
        assertThat(payload(jwt)).doesNotContainKey("pullable");
    }

    @Test
    void noCatalogScopeNoClaim() {
        String jwt = token("alice", "alice-password", "repository:alice/app:pull");
        assertThat(payload(jwt)).doesNotContainKey("pullable");
    }

    @SuppressWarnings("unchecked")
    private static List<String> pullable(String jwt) {
        Object claim = payload(jwt).get("pullable");
        assertThat(claim).as("pullable claim").isInstanceOf(List.class);
        return (List<String>) claim;
    }
}
