package dev.berth.token.endpoint;

import static dev.berth.token.TokenClient.actions;
import static dev.berth.token.TokenClient.header;
import static dev.berth.token.TokenClient.payload;
import static dev.berth.token.TokenClient.token;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.KeycloakTestResource;
import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.token.TokenClient;
import dev.berth.token.identity.AuthenticationFailed;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)
class TokenEndpointTest {

    @Inject
    MeterRegistry meters;

    @Test
    void tokenCarriesTheDockerClaimsAndVerifiesAgainstTheJwks() throws Exception {
        Response response = TokenClient.get("alice", "alice-password", "repository:team-a/app:pull");
        response.then().statusCode(200).header("Cache-Control", "no-store");
        String jwt = response.jsonPath().getString("token");
        assertThat(response.jsonPath().getString("access_token")).isEqualTo(jwt);
        assertThat(response.jsonPath().getInt("expires_in")).isEqualTo(300);
        Instant issuedAt = Instant.parse(response.jsonPath().getString("issued_at"));
        assertThat(issuedAt).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(5));
        assertThat(response.jsonPath().getString("refresh_token")).isNull();

        Map<String, Object> head = header(jwt);
        assertThat(head.get("alg")).isEqualTo("ES256");
        assertThat(head.get("kid")).isNotNull();
        String jwks = given().get("/.well-known/jwks.json").then().statusCode(200).extract().asString();
        JsonWebKeySet set = new JsonWebKeySet(jwks);
        assertThat(set.getJsonWebKeys()).extracting(k -> k.getKeyId()).contains((String) head.get("kid"));
        assertThat(jwks).doesNotContain("\"d\"");

        JwtConsumer consumer = new JwtConsumerBuilder().setVerificationKeyResolver(new JwksVerificationKeyResolver(set.getJsonWebKeys()))
                .setExpectedIssuer("berth-token-service").setExpectedAudience("berth-registry").setRequireJwtId()
                .setRequireNotBefore().setRequireIssuedAt().setRequireExpirationTime().build();
        JwtClaims claims = consumer.processToClaims(jwt);
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getExpirationTime().getValue() - claims.getIssuedAt().getValue()).isEqualTo(300);
        assertThat(claims.getNotBefore().getValue()).isLessThanOrEqualTo(claims.getIssuedAt().getValue());
        assertThat(actions(jwt, "repository", "team-a/app")).containsExactly("pull");
        String second = token("alice", "alice-password", "repository:team-a/app:pull");
        assertThat(payload(second).get("jti")).isNotEqualTo(claims.getJwtId());
    }

    @Test
    void wrongCredentialsGiveOneClearMessageWithoutSayingWhichPartWasWrong() {
        Response wrongPassword = TokenClient.get("bob", "not-bobs-password", "repository:bob/app:pull");
        Response unknownUser = TokenClient.get("nobody-at-all", "whatever", "repository:bob/app:pull");
        for (Response r : List.of(wrongPassword, unknownUser)) {
            r.then().statusCode(401);
            assertThat(r.jsonPath().getString("errors[0].code")).isEqualTo("UNAUTHORIZED");
            assertThat(r.jsonPath().getString("errors[0].message")).contains("authentication failed");
        }
        assertThat(wrongPassword.asString()).isEqualTo(unknownUser.asString());
        // a JWT of a trusted issuer without the required audience is refused just the same
        String noAudience = KeycloakTestResource.admin().clientCredentialsToken("ci-builder", "ci-builder-dev-secret");
        Response federated = TokenClient.get("oidc", noAudience, "repository:ci/app:pull");
        federated.then().statusCode(401);
        assertThat(federated.asString()).isEqualTo(wrongPassword.asString());
        // token-service's own client is not an account of the registry
        TokenClient.get("berth-token-service", "berth-token-service-dev-secret").then().statusCode(401);
    }

    @Test
    void unknownServiceAndMalformedScopeAreBadRequests() {
        given().queryParam("service", "elsewhere").get("/token").then().statusCode(400);
        given().queryParam("scope", "repository-without-actions").get("/token").then().statusCode(400);
        // no service named: the default one
        String jwt = given().get("/token").then().statusCode(200).extract().jsonPath().getString("token");
        assertThat(payload(jwt).get("aud")).isEqualTo("berth-registry");
    }

    @Test
    void dockerLoginGetsARefreshTokenAndLaterPushesUseIt() {
        // docker login: POST grant_type=password access_type=offline
        Response login = given().formParam("grant_type", "password").formParam("username", "alice")
                .formParam("password", "alice-password").formParam("service", "berth-registry")
                .formParam("client_id", "docker").formParam("access_type", "offline").post("/token");
        login.then().statusCode(200);
        String refresh = login.jsonPath().getString("refresh_token");
        assertThat(refresh).startsWith("brt_");
        assertThat(login.jsonPath().getString("access_token")).isNotBlank();

        // docker push: POST grant_type=refresh_token with the scope it needs
        Response push = refresh(refresh, "repository:team-a/app:pull,push");
        push.then().statusCode(200);
        String jwt = push.jsonPath().getString("access_token");
        assertThat(payload(jwt).get("sub")).isEqualTo("alice");
        assertThat(actions(jwt, "repository", "team-a/app")).containsExactly("pull", "push");

        // GET with offline_token=true also gives one (podman, older clients)
        String viaGet = given().auth().preemptive().basic("alice", "alice-password").queryParam("offline_token", "true")
                .get("/token").then().statusCode(200).extract().jsonPath().getString("refresh_token");
        assertThat(viaGet).startsWith("brt_").isNotEqualTo(refresh);

        // revoked: refused
        given().formParam("token", refresh).post("/token/revoke").then().statusCode(200);
        refresh(refresh, "repository:team-a/app:pull").then().statusCode(401);
        refresh("brt_made-up", "repository:team-a/app:pull").then().statusCode(401);
    }

    @Test
    void refreshTokenStopsWorkingWhenTheKeycloakAccountIsDisabledAndStaysRevoked() {
        String refresh = given().formParam("grant_type", "password").formParam("username", "dave")
                .formParam("password", "dave-password").formParam("access_type", "offline").post("/token")
                .then().statusCode(200).extract().jsonPath().getString("refresh_token");
        assertThat(actions(refresh(refresh, "repository:team-a/app:pull").then().statusCode(200).extract()
                .jsonPath().getString("access_token"), "repository", "team-a/app")).containsExactly("pull");
        KeycloakTestResource.admin().setUserEnabled("dave", false);
        try {
            Response refused = refresh(refresh, "repository:team-a/app:pull");
            refused.then().statusCode(401);
            assertThat(refused.jsonPath().getString("errors[0].message")).isEqualTo(AuthenticationFailed.LOGIN_EXPIRED);
            // the refusal also dropped dave's remembered password check: the password is checked at Keycloak again
            TokenClient.get("dave", "dave-password").then().statusCode(401);
        } finally {
            KeycloakTestResource.admin().setUserEnabled("dave", true);
        }
        // enabled again: the password works, the identity token issued before the disable does not
        TokenClient.get("dave", "dave-password").then().statusCode(200);
        Response stillRefused = refresh(refresh, "repository:team-a/app:pull");
        stillRefused.then().statusCode(401);
        assertThat(stillRefused.jsonPath().getString("errors[0].message")).isEqualTo(AuthenticationFailed.LOGIN_EXPIRED);
    }

    @Test
    void repeatedKeycloakLoginsUseTheCredentialCacheButAWrongPasswordNever() {
        TokenClient.token("bob", "bob-password", "repository:bob/app:pull");
        double hits = cacheHits();
        assertThat(actions(token("bob", "bob-password", "repository:bob/app:pull"), "repository", "bob/app"))
                .containsExactly("pull");
        assertThat(cacheHits()).isEqualTo(hits + 1);
        double failures = meters.counter("berth.token.login.failures").count();
        TokenClient.get("bob", "bob-password-").then().statusCode(401);
        assertThat(meters.counter("berth.token.login.failures").count()).isEqualTo(failures + 1);
        assertThat(cacheHits()).isEqualTo(hits + 1);
        // a service account's client-credentials grant the same way
        TokenClient.token("ci-builder", "ci-builder-dev-secret", "repository:ci/app:push");
        hits = cacheHits();
        TokenClient.token("ci-builder", "ci-builder-dev-secret", "repository:ci/app:push");
        assertThat(cacheHits()).isEqualTo(hits + 1);
        TokenClient.get("ci-builder", "not-the-secret").then().statusCode(401);
        assertThat(cacheHits()).isEqualTo(hits + 1);
    }

    @Test
    void aRevokedExpiredOrUnknownIdentityTokenIsToldToLogInAgain() throws Exception {
        Response wrongPassword = TokenClient.get("alice", "not-alices-password");
        assertThat(wrongPassword.jsonPath().getString("errors[0].message")).isEqualTo(AuthenticationFailed.CLIENT_MESSAGE);

        String revoked = offlineLogin("alice", "alice-password");
        given().formParam("token", revoked).post("/token/revoke").then().statusCode(200);
        String expired = offlineLogin("alice", "alice-password");
        try (var c = PostgresTestResource.dataSource().getConnection();
                var s = c.prepareStatement("UPDATE token.refresh_token SET expires_at = now() - interval '1 minute' "
                        + "WHERE token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex')")) {
            s.setString(1, expired);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        for (String token : List.of(revoked, expired, "brt_made-up", "not-even-a-berth-token")) {
            Response r = refresh(token, "repository:team-a/app:pull");
            r.then().statusCode(401);
            assertThat(r.jsonPath().getString("errors[0].code")).isEqualTo("UNAUTHORIZED");
            assertThat(r.jsonPath().getString("errors[0].message")).as(token)
                    .isEqualTo(AuthenticationFailed.LOGIN_EXPIRED).contains("docker login");
            assertThat(r.jsonPath().getString("error")).isEqualTo("invalid_grant");
        }
    }

    @Test
    void serviceAccountRefreshTokensWork() {
        String refresh = given().formParam("grant_type", "password").formParam("username", "ci-builder")
                .formParam("password", "ci-builder-dev-secret").formParam("access_type", "offline").post("/token")
                .then().statusCode(200).extract().jsonPath().getString("refresh_token");
        String jwt = refresh(refresh, "repository:ci/app:push").then().statusCode(200).extract().jsonPath().getString("access_token");
        assertThat(actions(jwt, "repository", "ci/app")).containsExactly("push");
    }

    @Test
    void anonymousCallersGetNoRefreshToken() {
        Response r = given().queryParam("offline_token", "true").get("/token");
        r.then().statusCode(200);
        assertThat(r.jsonPath().getString("refresh_token")).isNull();
    }

    @Test
    void repeatedFailuresAreSlowedDownAndCounted() {
        String user = "mallory-" + System.nanoTime();
        for (int i = 0; i < 5; i++) { // the per-user limit (token.rate-limit.max-failures-per-user)
            TokenClient.get(user, "guess-" + i).then().statusCode(401);
        }
        Response throttled = TokenClient.get(user, "guess-6");
        throttled.then().statusCode(429);
        assertThat(Integer.parseInt(throttled.getHeader("Retry-After"))).isBetween(1, 60);
        assertThat(throttled.jsonPath().getString("errors[0].code")).isEqualTo("TOOMANYREQUESTS");
        // another user from the same client is not affected
        TokenClient.get("bob", "bob-password").then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("berth_token_login_failures_total").contains("berth_token_login_throttled_total");
    }

    @Test
    void keysRotateAndTheOldKeyStaysPublished() {
        String before = token("ada", "ada-password");
        String oldKid = (String) header(before).get("kid");
        given().auth().preemptive().basic("bob", "bob-password").post("/api/v1/keys/rotate").then().statusCode(403);
        Response rotated = given().auth().preemptive().basic("ada", "ada-password").post("/api/v1/keys/rotate");
        rotated.then().statusCode(200);
        String newKid = rotated.jsonPath().getString("active");
        assertThat(newKid).isNotEqualTo(oldKid);
        String jwks = given().get("/.well-known/jwks.json").then().statusCode(200).extract().asString();
        assertThat(jwks).contains(oldKid).contains(newKid);
        assertThat(header(token("ada", "ada-password")).get("kid")).isEqualTo(newKid);
    }

    private double cacheHits() {
        return meters.counter("berth.token.credential_cache", "result", "hit").count();
    }

    private static String offlineLogin(String user, String password) {
        return given().formParam("grant_type", "password").formParam("username", user).formParam("password", password)
                .formParam("access_type", "offline").post("/token").then().statusCode(200).extract().jsonPath()
                .getString("refresh_token");
    }

    private static Response refresh(String refreshToken, String scope) {
        return given().formParam("grant_type", "refresh_token").formParam("refresh_token", refreshToken)
                .formParam("service", "berth-registry").formParam("client_id", "docker").formParam("scope", scope)
                .post("/token");
    }
}
