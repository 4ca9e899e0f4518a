package dev.berth.token.endpoint;

import static dev.berth.token.TokenClient.actions;
import static dev.berth.token.TokenClient.repositoryActions;
import static dev.berth.token.TokenClient.token;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.KeycloakTestResource;
import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The matrix of who may do what, against the real Keycloak realm of deploy/keycloak: owner, group member,
 * delete sub-group, other user, admin, service account, federated CI token, anonymous.
 */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)
class WhoMayDoWhatTest {

    @Test
    void ownerHasEverythingInTheirOwnNamespace() {
        assertThat(repositoryActions("alice", "alice-password", "alice/app", "pull,push,delete"))
                .containsExactly("pull", "push", "delete");
        assertThat(repositoryActions("alice", "alice-password", "alice/deep/app", "*")).containsExactly("*");
        // a repository named like the user but not under the namespace
        assertThat(repositoryActions("alice", "alice-password", "alice-other/app", "pull")).isEmpty();
    }

    @Test
    void groupMemberPullsAndPushesButDoesNotDelete() {
        assertThat(repositoryActions("alice", "alice-password", "team-a/app", "pull,push,delete"))
                .containsExactly("pull", "push");
        assertThat(repositoryActions("alice", "alice-password", "team-a/x/y", "push")).containsExactly("push");
        assertThat(repositoryActions("alice", "alice-password", "team-b/app", "pull")).isEmpty();
    }

    @Test
    void deleteSubGroupMemberMayAlsoDelete() {
        assertThat(repositoryActions("carol", "carol-password", "team-a/app", "pull,push,delete"))
                .containsExactly("pull", "push", "delete");
        assertThat(repositoryActions("carol", "carol-password", "team-b/app", "delete")).isEmpty();
    }

    @Test
    void otherUserGetsAnEmptyAccessList() {
        String jwt = token("bob", "bob-password", "repository:team-a/app:pull,push");
        assertThat((List<?>) dev.berth.token.TokenClient.payload(jwt).get("access")).isEmpty();
        assertThat(repositoryActions("bob", "bob-password", "alice/app", "pull")).isEmpty();
        assertThat(repositoryActions("bob", "bob-password", "bob/app", "pull,push")).containsExactly("pull", "push");
    }

    @Test
    void partialGrantsAcrossSeveralScopes() {
        String jwt = token("alice", "alice-password", "repository:team-a/app:pull,push",
                "repository:team-b/app:pull", "repository:public/base:pull,push", "registry:catalog:*");
        assertThat(actions(jwt, "repository", "team-a/app")).containsExactly("pull", "push");
        assertThat(actions(jwt, "repository", "team-b/app")).isEmpty();
        assertThat(actions(jwt, "repository", "public/base")).containsExactly("pull");
        assertThat(actions(jwt, "registry", "catalog")).isEmpty();
    }

    @Test
    void adminMayDoEverythingIncludingDeleteAndCatalog() {
        assertThat(repositoryActions("ada", "ada-password", "team-a/app", "pull,push,delete"))
                .containsExactly("pull", "push", "delete");
        assertThat(repositoryActions("ada", "ada-password", "anyone/anything", "*")).containsExactly("*");
        String jwt = token("ada", "ada-password", "registry:catalog:*");
        assertThat(actions(jwt, "registry", "catalog")).containsExactly("*");
    }

    @Test
    void onlyTheAdminRoleGetsGcWorkersApi() {
        assertThat(actions(token("ada", "ada-password", "registry:gc:*"), "registry", "gc")).containsExactly("*");
        assertThat(actions(token("alice", "alice-password", "registry:gc:*"), "registry", "gc")).isEmpty();
        assertThat(actions(token("ci-builder", "ci-builder-dev-secret", "registry:gc:*"), "registry", "gc")).isEmpty();
        assertThat(actions(token(null, null, "registry:gc:*"), "registry", "gc")).isEmpty();
    }

    @Test
    void serviceAccountLogsInWithClientIdAndSecret() {
        String jwt = token("ci-builder", "ci-builder-dev-secret", "repository:ci/app:pull,push",
                "repository:team-a/app:pull", "repository:ci-builder/cache:push");
        assertThat(dev.berth.token.TokenClient.payload(jwt).get("sub")).isEqualTo("ci-builder");
        assertThat(actions(jwt, "repository", "ci/app")).containsExactly("pull", "push");
        assertThat(actions(jwt, "repository", "team-a/app")).isEmpty();
        assertThat(actions(jwt, "repository", "ci-builder/cache")).containsExactly("push");
    }

    @Test
    void federatedCiTokenIsAcceptedAsThePassword() {
        // the "CI platform" (a Keycloak client with an audience mapper) gives the job a JWT; no registry secret involved
        String ciJwt = KeycloakTestResource.admin().clientCredentialsToken("ci-pipeline", "ci-pipeline-dev-secret");
        String jwt = token("oidc", ciJwt, "repository:ci/app:pull,push", "repository:team-a/app:pull");
        assertThat(dev.berth.token.TokenClient.payload(jwt).get("sub")).isEqualTo("ci-pipeline");
        assertThat(actions(jwt, "repository", "ci/app")).containsExactly("pull", "push");
        assertThat(actions(jwt, "repository", "team-a/app")).isEmpty();
    }

    @Test
    void anonymousPullsPublicNamespacesOnly() {
        String jwt = token(null, null, "repository:public/base:pull,push", "repository:library/alpine:pull",
                "repository:team-a/app:pull", "registry:catalog:*");
        assertThat(dev.berth.token.TokenClient.payload(jwt).get("sub")).isEqualTo("");
        assertThat(actions(jwt, "repository", "public/base")).containsExactly("pull");
        assertThat(actions(jwt, "repository", "library/alpine")).containsExactly("pull");
        assertThat(actions(jwt, "repository", "team-a/app")).isEmpty();
        assertThat(actions(jwt, "registry", "catalog")).isEmpty();
    }
}
