package dev.berth.token.local;

import static dev.berth.token.TokenClient.actions;
import static dev.berth.token.TokenClient.repositoryActions;
import static dev.berth.token.TokenClient.token;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.token.TokenClient;
import dev.berth.token.identity.AuthenticationFailed;
import io.micrometer.core.instrument.MeterRegistry;
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

    @Inject
    MeterRegistry meters;

    private double cacheHits() {
        return meters.counter("berth.token.credential_cache", "result", "hit").count();
    }

    private double loginFailures() {
        return meters.counter("berth.token.login.failures").count();
    }

    private static io.restassured.response.Response refresh(String refreshToken) {
        return given().formParam("grant_type", "refresh_token").formParam("refresh_token", refreshToken)
                .formParam("scope", "repository:team-x/app:pull").post("/token");
    }

    private static String offlineLogin(String user, String password) {
        return given().formParam("grant_type", "password").formParam("username", user).formParam("password", password)
                .formParam("access_type", "offline").post("/token").then().statusCode(200).extract().jsonPath()
                .getString("refresh_token");
    }

    @Test
    void aRepeatedLoginIsServedFromTheCredentialCacheAndAWrongPasswordNeverIs() {
        users.upsert("frank", "frank-password", Set.of(), Set.of("/registry/team-x"));
        TokenClient.token("frank", "frank-password", "repository:team-x/app:pull");
        double hits = cacheHits();
        assertThat(repositoryActions("frank", "frank-password", "team-x/app", "pull")).containsExactly("pull");
        assertThat(cacheHits()).isEqualTo(hits + 1);
        // a wrong password right after the right one pays the full check and counts as a failure
        double failures = loginFailures();
        TokenClient.get("frank", "frank-passwore").then().statusCode(401);
        TokenClient.get("frank", "frank-password ").then().statusCode(401);
        assertThat(loginFailures()).isEqualTo(failures + 2);
        assertThat(cacheHits()).isEqualTo(hits + 1);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("berth_token_credential_cache_total{result=\"hit\"}");
    }

    @Test
    void aPasswordChangeOrADisableDropsTheRememberedCheckAtOnce() {
        users.upsert("gina", "old-password", Set.of(), Set.of());
        TokenClient.token("gina", "old-password");
        TokenClient.token("gina", "old-password"); // now remembered
        users.upsert("gina", "new-password", Set.of(), Set.of());
        double hits = cacheHits();
        TokenClient.get("gina", "old-password").then().statusCode(401);
        TokenClient.token("gina", "new-password");
        TokenClient.token("gina", "new-password");
        assertThat(cacheHits()).isEqualTo(hits + 1);

        users.setEnabled("gina", false);
        TokenClient.get("gina", "new-password").then().statusCode(401);
        assertThat(cacheHits()).isEqualTo(hits + 1);
        users.setEnabled("gina", true);
        TokenClient.token("gina", "new-password");
    }

    @Test
    void revokingARefreshTokenDropsTheRememberedChecksOfItsUser() {
        users.upsert("hana", "hana-password", Set.of(), Set.of());
        String refresh = offlineLogin("hana", "hana-password");
        TokenClient.token("hana", "hana-password");
        given().formParam("token", refresh).post("/token/revoke").then().statusCode(200);
        double hits = cacheHits();
        TokenClient.token("hana", "hana-password");
        assertThat(cacheHits()).as("the check after a revocation is a full one").isEqualTo(hits);
    }

    @Test
    void identityTokensOfADisabledAccountStayDeadAfterItIsEnabledAgain() {
        users.upsert("ivan", "ivan-password", Set.of(), Set.of("/registry/team-x"));
        String refresh = offlineLogin("ivan", "ivan-password");
        refresh(refresh).then().statusCode(200);
        users.setEnabled("ivan", false);
        users.setEnabled("ivan", true);
        var refused = refresh(refresh);
        refused.then().statusCode(401);
        assertThat(refused.jsonPath().getString("errors[0].message")).isEqualTo(AuthenticationFailed.LOGIN_EXPIRED);
        // a new login works and gives a working identity token
        refresh(offlineLogin("ivan", "ivan-password")).then().statusCode(200);
    }

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
