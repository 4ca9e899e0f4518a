package dev.berth.registry.auth;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import dev.berth.core.digest.Digest;
import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.registry.support.RegistryTestSupport;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** registry-api with auth on: challenges, grants, and hostile tokens. */
@QuarkusTest
@TestProfile(AuthEnabledProfile.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class BearerTokenTest {

    private static PublicJsonWebKey signingKey() {
        try {
            return PublicJsonWebKey.Factory.newPublicJwk(System.getProperty(TestJwks.KEY_PROPERTY));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JwtClaims claims(String subject, List<Map<String, Object>> access) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer("berth-token-service");
        claims.setSubject(subject);
        claims.setAudience("berth-registry");
        long now = System.currentTimeMillis() / 1000;
        claims.setIssuedAt(NumericDate.fromSeconds(now));
        claims.setNotBefore(NumericDate.fromSeconds(now));
        claims.setExpirationTime(NumericDate.fromSeconds(now + 300));
        claims.setJwtId(UUID.randomUUID().toString());
        claims.setClaim("access", access);
        return claims;
    }

    private static Map<String, Object> repo(String name, String... actions) {
        return Map.of("type", "repository", "name", name, "actions", List.of(actions));
    }

    private static String sign(JwtClaims claims, PublicJsonWebKey key, String kid) {
        try {
            JsonWebSignature jws = new JsonWebSignature();
            jws.setPayload(claims.toJson());
            jws.setKey(key.getPrivateKey());
            jws.setKeyIdHeaderValue(kid);
            jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
            return jws.getCompactSerialization();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String token(String subject, Map<String, Object>... access) {
        return sign(claims(subject, List.of(access)), signingKey(), "k1");
    }

    private static String token(Consumer<JwtClaims> change, Map<String, Object>... access) {
        JwtClaims claims = claims("alice", List.of(access));
        change.accept(claims);
        return sign(claims, signingKey(), "k1");
    }

    private static Response get(String token, String path) {
        return (token == null ? given() : given().header("Authorization", "Bearer " + token)).get(path);
    }

    @Test
    void withoutATokenTheClientIsToldWhereToGetOne() {
        Response base = given().get("/v2/");
        RegistryTestSupport.assertOciError(base, 401, "UNAUTHORIZED");
        assertThat(base.getHeader("WWW-Authenticate"))
                .isEqualTo("Bearer realm=\"http://127.0.0.1:5001/token\",service=\"berth-registry\"");
        assertThat(base.getHeader("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");

        assertThat(given().get("/v2/team-a/app/manifests/latest").getHeader("WWW-Authenticate"))
                .endsWith(",scope=\"repository:team-a/app:pull\"");
        assertThat(given().contentType("application/octet-stream").post("/v2/team-a/app/blobs/uploads/").getHeader("WWW-Authenticate"))
                .endsWith(",scope=\"repository:team-a/app:pull,push\"");
        assertThat(given().contentType("application/vnd.oci.image.manifest.v1+json").body("{}")
                .put("/v2/team-a/app/manifests/v1").getHeader("WWW-Authenticate"))
                .endsWith(",scope=\"repository:team-a/app:pull,push\"");
        assertThat(given().delete("/v2/team-a/app/manifests/sha256:" + "0".repeat(64)).getHeader("WWW-Authenticate"))
                .endsWith(",scope=\"repository:team-a/app:delete\"");
        assertThat(given().post("/v2/team-a/app/blobs/uploads/?mount=sha256:" + "0".repeat(64) + "&from=other/src")
                .getHeader("WWW-Authenticate"))
                .endsWith(",scope=\"repository:team-a/app:pull,push repository:other/src:pull\"");
        assertThat(given().get("/v2/_catalog").getHeader("WWW-Authenticate")).endsWith(",scope=\"registry:catalog:*\"");
        // a Basic header is no bearer token
        given().auth().preemptive().basic("alice", "pw").get("/v2/").then().statusCode(401);
    }

    @Test
    void aValidTokenOpensTheBaseEndpointAndItsRepository() {
        get(token("alice"), "/v2/").then().statusCode(200);
        String repo = RegistryTestSupport.uniqueRepo("team-a");
        String pull = token("alice", repo(repo, "pull"));
        // allowed: the request reaches the registry (which knows no such manifest)
        RegistryTestSupport.assertOciError(get(pull, "/v2/" + repo + "/manifests/latest"), 404, "NAME_UNKNOWN");
        RegistryTestSupport.assertOciError(get(pull, "/v2/" + repo + "/tags/list"), 404, "NAME_UNKNOWN");
    }

    @Test
    void aValidTokenWithoutTheActionIsDenied() {
        String repo = RegistryTestSupport.uniqueRepo("team-a");
        String pull = token("alice", repo(repo, "pull"));
        Response push = given().header("Authorization", "Bearer " + pull).post("/v2/" + repo + "/blobs/uploads/");
        RegistryTestSupport.assertOciError(push, 403, "DENIED");
        assertThat(push.getHeader("WWW-Authenticate")).contains("error=\"insufficient_scope\"");
        // the body names the action that was missing, not the first one checked
        assertThat(push.jsonPath().getString("errors[0].detail.Action")).isEqualTo("push");
        assertThat(push.jsonPath().getString("errors[0].detail.Name")).isEqualTo(repo);
        assertThat(push.jsonPath().getString("errors[0].detail.Type")).isEqualTo("repository");
        Response manifestPush = given().header("Authorization", "Bearer " + pull).contentType("application/vnd.oci.image.manifest.v1+json")
                .body("{}").put("/v2/" + repo + "/manifests/v1");
        RegistryTestSupport.assertOciError(manifestPush, 403, "DENIED");
        assertThat(manifestPush.jsonPath().getString("errors[0].detail.Action")).isEqualTo("push");
        // neither pull nor push: both are named
        String other = token("alice", repo(repo + "-other", "pull", "push"));
        Response neither = given().header("Authorization", "Bearer " + other).post("/v2/" + repo + "/blobs/uploads/");
        RegistryTestSupport.assertOciError(neither, 403, "DENIED");
        assertThat(neither.jsonPath().getString("errors[0].detail.Action")).isEqualTo("pull,push");
        // a push-only token asking to push is told it lacks pull
        Response pushOnly = given().header("Authorization", "Bearer " + token("alice", repo(repo, "push")))
                .post("/v2/" + repo + "/blobs/uploads/");
        assertThat(pushOnly.jsonPath().getString("errors[0].detail.Action")).isEqualTo("pull");
        RegistryTestSupport.assertOciError(given().header("Authorization", "Bearer " + pull)
                .delete("/v2/" + repo + "/manifests/sha256:" + "0".repeat(64)), 403, "DENIED");
        // the same action on another repository
        RegistryTestSupport.assertOciError(get(pull, "/v2/" + repo + "-other/manifests/latest"), 403, "DENIED");
        RegistryTestSupport.assertOciError(get(pull, "/v2/" + repo + "/x/manifests/latest"), 403, "DENIED");
        // catalog needs registry:catalog:*
        RegistryTestSupport.assertOciError(get(pull, "/v2/_catalog"), 403, "DENIED");
        get(token("ada", Map.of("type", "registry", "name", "catalog", "actions", List.of("*"))), "/v2/_catalog")
                .then().statusCode(200);
    }

    @Test
    void pushAndPullWithGrantedTokens() {
        String repo = RegistryTestSupport.uniqueRepo("team-a");
        String push = token("alice", repo(repo, "pull", "push"));
        byte[] content = RegistryTestSupport.randomBytes(1000);
        Digest digest = Digest.sha256Of(content);
        given().header("Authorization", "Bearer " + push).contentType("application/octet-stream").body(content)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + digest).then().statusCode(201);
        String star = token("alice", repo(repo, "*"));
        get(star, "/v2/" + repo + "/blobs/" + digest).then().statusCode(200);
    }

    /** Events name the token's subject as their actor, whoever's token made which change. */
    @Test
    void eventsRecordTheSubjectOfTheToken() throws Exception {
        String repo = RegistryTestSupport.uniqueRepo("team-a");
        String alice = token("alice", repo(repo, "pull", "push"));
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        Digest configDigest = Digest.sha256Of(config);
        given().header("Authorization", "Bearer " + alice).contentType("application/octet-stream").body(config)
                .post("/v2/" + repo + "/blobs/uploads/?digest=" + configDigest).then().statusCode(201);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":2},\"layers\":[]}";
        given().header("Authorization", "Bearer " + alice).contentType("application/vnd.oci.image.manifest.v1+json")
                .body(manifest).put("/v2/" + repo + "/manifests/v1").then().statusCode(201);
        String bob = token("bob", repo(repo, "delete"));
        given().header("Authorization", "Bearer " + bob).delete("/v2/" + repo + "/manifests/v1").then().statusCode(202);

        assertThat(actors(repo)).containsExactly("repository.created alice", "blob.pushed alice",
                "manifest.pushed alice", "tag.updated alice", "tag.deleted bob");

        // the repository itself: delete on it is needed, push is not enough
        given().header("Authorization", "Bearer " + alice).delete("/api/v1/repositories/" + repo).then().statusCode(403);
        given().delete("/api/v1/repositories/" + repo).then().statusCode(401)
                .header("WWW-Authenticate", containsString("scope=\"repository:" + repo + ":delete\""));
        given().header("Authorization", "Bearer " + bob).delete("/api/v1/repositories/" + repo).then().statusCode(204);
        assertThat(actors(repo)).hasSize(6).last().isEqualTo("repository.deleted bob");
    }

    private static List<String> actors(String repo) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (java.sql.Connection c = PostgresTestResource.dataSource().getConnection();
                java.sql.PreparedStatement ps = c.prepareStatement(
                        "select event_type, actor from registry.outbox where repository = ? order by sequence")) {
            ps.setString(1, repo);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2));
                }
            }
        }
        return out;
    }

    @Test
    void mountFromARepositoryTheCallerCannotReadIsRefusedAndLeaksNothing() {
        String secret = RegistryTestSupport.uniqueRepo("secret");
        byte[] content = RegistryTestSupport.randomBytes(500);
        Digest digest = Digest.sha256Of(content);
        given().header("Authorization", "Bearer " + token("ada", repo(secret, "*"))).contentType("application/octet-stream")
                .body(content).post("/v2/" + secret + "/blobs/uploads/?digest=" + digest).then().statusCode(201);

        String target = RegistryTestSupport.uniqueRepo("bob");
        String noRead = token("bob", repo(target, "pull", "push"), repo(secret, "push"));
        Response mount = given().header("Authorization", "Bearer " + noRead)
                .post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + secret);
        // a plain upload session, exactly as for a blob that exists nowhere
        mount.then().statusCode(202);
        assertThat(mount.getHeader("Location")).contains("/blobs/uploads/");
        Response unknown = given().header("Authorization", "Bearer " + noRead)
                .post("/v2/" + target + "/blobs/uploads/?mount=sha256:" + "1".repeat(64) + "&from=" + secret);
        unknown.then().statusCode(202);
        get(noRead, "/v2/" + target + "/blobs/" + digest).then().statusCode(404);

        // with pull on the source the mount happens
        String canRead = token("bob", repo(target, "pull", "push"), repo(secret, "pull"));
        given().header("Authorization", "Bearer " + canRead)
                .post("/v2/" + target + "/blobs/uploads/?mount=" + digest + "&from=" + secret).then().statusCode(201);
    }

    @Test
    void hostileTokensAreRefused() throws Exception {
        String repo = "team-a/app";
        Map<String, Object> pull = repo(repo, "pull");
        String path = "/v2/" + repo + "/manifests/latest";
        long now = System.currentTimeMillis() / 1000;

        Map<String, String> hostile = new java.util.LinkedHashMap<>();
        hostile.put("expired", token(c -> {
            c.setExpirationTime(NumericDate.fromSeconds(now - 120));
            c.setIssuedAt(NumericDate.fromSeconds(now - 420));
            c.setNotBefore(NumericDate.fromSeconds(now - 420));
        }, pull));
        hostile.put("not yet valid", token(c -> c.setNotBefore(NumericDate.fromSeconds(now + 120)), pull));
        hostile.put("wrong audience", token(c -> c.setAudience("another-registry"), pull));
        hostile.put("wrong issuer", token(c -> c.setIssuer("https://evil.example"), pull));
        hostile.put("no expiry", token(c -> c.setClaim("exp", null), pull));
        hostile.put("no issued-at", token(c -> c.unsetClaim("iat"), pull));
        hostile.put("no subject", token(c -> c.unsetClaim("sub"), pull));
        hostile.put("subject not a string", token(c -> c.setClaim("sub", 42), pull));

        JwtClaims good = claims("alice", List.of(pull));
        JsonWebSignature none = new JsonWebSignature();
        none.setPayload(good.toJson());
        none.setAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.NO_CONSTRAINTS);
        none.setAlgorithmHeaderValue(AlgorithmIdentifiers.NONE);
        none.setKeyIdHeaderValue("k1");
        hostile.put("alg=none", none.getCompactSerialization());

        // HMAC keyed with the public key (the classic algorithm confusion)
        JsonWebSignature hmac = new JsonWebSignature();
        hmac.setPayload(good.toJson());
        hmac.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        hmac.setKeyIdHeaderValue("k1");
        hmac.setKey(new HmacKey(signingKey().toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY).getBytes(StandardCharsets.UTF_8)));
        hmac.setDoKeyValidation(false);
        hostile.put("HS256 with the public key", hmac.getCompactSerialization());

        PublicJsonWebKey other = TestJwks.generate("k1");
        hostile.put("signed by another key (same kid)", sign(good, other, "k1"));
        hostile.put("signed by another key (unknown kid)", sign(good, other, "made-up"));
        hostile.put("no kid", sign(good, signingKey(), null));

        String valid = token("alice", pull);
        String[] parts = valid.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("team-a/app", "team-b/app");
        hostile.put("tampered payload", parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
        hostile.put("garbage", "not.a.token");

        get(valid, path).then().statusCode(404); // the valid one reaches the registry
        for (Map.Entry<String, String> entry : hostile.entrySet()) {
            Response response = get(entry.getValue(), path);
            assertThat(response.statusCode()).as(entry.getKey() + ": " + response.asString()).isEqualTo(401);
            assertThat(response.getHeader("WWW-Authenticate")).as(entry.getKey()).contains("error=\"invalid_token\"");
        }
        // access for another repository: valid token, denied
        String otherRepo = token("alice", repo("team-b/app", "pull"));
        RegistryTestSupport.assertOciError(get(otherRepo, path), 403, "DENIED");
    }

    @Test
    void aRotatedKeyIsFetchedAtItsFirstToken() {
        get(token("alice"), "/v2/").then().statusCode(200);
        PublicJsonWebKey k2 = TestJwks.generate("k2");
        String before = System.getProperty(TestJwks.JWKS_PROPERTY);
        System.setProperty(TestJwks.JWKS_PROPERTY, before.substring(0, before.length() - 2) + ","
                + k2.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}");
        int fetches = Integer.parseInt(System.getProperty(TestJwks.FETCHES_PROPERTY, "0"));
        get(sign(claims("alice", List.of()), k2, "k2"), "/v2/").then().statusCode(200);
        assertThat(Integer.parseInt(System.getProperty(TestJwks.FETCHES_PROPERTY))).isGreaterThan(fetches);
    }

    @Inject
    TokenVerifier verifier;

    private static String withKey(String jwks, PublicJsonWebKey key) {
        return jwks.substring(0, jwks.length() - 2) + "," + key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}";
    }

    /** An unknown kid makes registry-api fetch the JWKS again (the min refresh interval is 0 in this profile). */
    private static void makeTheRegistryRefetchTheJwks() {
        get(sign(claims("alice", List.of()), TestJwks.generate("unknown"), "unknown-" + UUID.randomUUID()), "/v2/")
                .then().statusCode(401);
    }

    @Test
    void aKidDroppedFromTheJwksEndsItsCachedTokensAtOnce() {
        String before = System.getProperty(TestJwks.JWKS_PROPERTY);
        try {
            PublicJsonWebKey k3 = TestJwks.generate("k3");
            System.setProperty(TestJwks.JWKS_PROPERTY, withKey(before, k3));
            String repo = RegistryTestSupport.uniqueRepo("team-a");
            String token = sign(claims("alice", List.of(repo(repo, "pull"))), k3, "k3");
            String k1Token = token("alice", repo(repo, "pull"));
            // the verifier (and its cache) is shared by every test of this run: ask for these two tokens
            assertThat(verifier.isCached(token)).isFalse();
            RegistryTestSupport.assertOciError(get(token, "/v2/" + repo + "/tags/list"), 404, "NAME_UNKNOWN");
            get(k1Token, "/v2/").then().statusCode(200);
            assertThat(verifier.isCached(token)).as("the k3 token is cached").isTrue();
            assertThat(verifier.isCached(k1Token)).as("the k1 token is cached").isTrue();
            // served from the cache: the same answer
            RegistryTestSupport.assertOciError(get(token, "/v2/" + repo + "/tags/list"), 404, "NAME_UNKNOWN");

            // token-service drops k3: at the next JWKS fetch its tokens stop, cached or not
            System.setProperty(TestJwks.JWKS_PROPERTY, before);
            makeTheRegistryRefetchTheJwks();
            assertThat(verifier.isCached(token)).as("forgotten with its kid at the fetch").isFalse();
            Response refused = get(token, "/v2/" + repo + "/tags/list");
            RegistryTestSupport.assertOciError(refused, 401, "UNAUTHORIZED");
            assertThat(refused.getHeader("WWW-Authenticate")).contains("error=\"invalid_token\"");
            // tokens of the keys that stayed are still good
            get(k1Token, "/v2/").then().statusCode(200);

        } finally {
            System.setProperty(TestJwks.JWKS_PROPERTY, before);
        }
    }

    @Test
    void aKidReboundToAnotherKeyEndsTheCachedTokensOfTheOldKey() {
        String before = System.getProperty(TestJwks.JWKS_PROPERTY);
        try {
            PublicJsonWebKey k5 = TestJwks.generate("k5");
            System.setProperty(TestJwks.JWKS_PROPERTY, withKey(before, k5));
            String token = sign(claims("alice", List.of()), k5, "k5");
            get(token, "/v2/").then().statusCode(200);
            get(token, "/v2/").then().statusCode(200);
            System.setProperty(TestJwks.JWKS_PROPERTY, withKey(before, TestJwks.generate("k5")));
            makeTheRegistryRefetchTheJwks();
            get(token, "/v2/").then().statusCode(401);
        } finally {
            System.setProperty(TestJwks.JWKS_PROPERTY, before);
        }
    }
}
