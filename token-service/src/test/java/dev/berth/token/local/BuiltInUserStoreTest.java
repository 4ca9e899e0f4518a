package dev.berth.token.local;

import static dev.berth.token.TokenClient.actions;
import static dev.berth.token.TokenClient.repositoryActions;
import static dev.berth.token.TokenClient.token;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.token.TokenClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The embedded default: no Keycloak, the built-in (bcrypt) user store with its admin account. */
@QuarkusTest
@TestProfile(BuiltInUserStoreTest.NoKeycloak.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class BuiltInUserStoreTest {

    public static class NoKeycloak implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("token.keycloak.url", "", "token.local.admin-password", "local-admin-secret");
        }
    }

    @Inject
    LocalUsers users;

    @Test
    void adminFromRegistryAdminPasswordMayDoEverything() {
        assertThat(repositoryActions("admin", "local-admin-secret", "any/repo", "pull,push,delete"))
                .containsExactly("pull", "push", "delete");
        assertThat(actions(token("admin", "local-admin-secret", "registry:catalog:*"), "registry", "catalog")).containsExactly("*");
        TokenClient.get("admin", "wrong").then().statusCode(401);
        TokenClient.get("nobody", "local-admin-secret").then().statusCode(401);
    }

    @Test
    void localUsersWithGroupsAndRefreshTokens() {
        users.upsert("erin", "erin-password", Set.of(), Set.of("/registry/team-x"));
        assertThat(repositoryActions("erin", "erin-password", "team-x/app", "pull,push,delete")).containsExactly("pull", "push");
        assertThat(repositoryActions("erin", "erin-password", "erin/app", "delete")).containsExactly("delete");
        String refresh = given().formParam("grant_type", "password").formParam("username", "erin")
                .formParam("password", "erin-password").formParam("access_type", "offline").post("/token")
                .then().statusCode(200).extract().jsonPath().getString("refresh_token");
        given().formParam("grant_type", "refresh_token").formParam("refresh_token", refresh)
                .formParam("scope", "repository:team-x/app:pull").post("/token").then().statusCode(200);
        users.setEnabled("erin", false);
        given().formParam("grant_type", "refresh_token").formParam("refresh_token", refresh)
                .formParam("scope", "repository:team-x/app:pull").post("/token").then().statusCode(401);
        TokenClient.get("erin", "erin-password").then().statusCode(401);
    }

    @Test
    void passwordsAreStoredAsBcrypt() throws Exception {
        try (var c = PostgresTestResource.dataSource().getConnection();
                var s = c.createStatement();
                var rs = s.executeQuery("SELECT password_hash FROM token.local_user WHERE username = 'admin'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).startsWith("$2b$10$").doesNotContain("local-admin-secret");
        }
    }
}
