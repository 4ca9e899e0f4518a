package dev.berth.catalog.visibility;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.berth.catalog.events.EventConsumer;
import dev.berth.catalog.support.CatalogDatabase;
import dev.berth.catalog.support.Registry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.EllipticCurves;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every answer is filtered by what the caller's token lets it pull; two users never see each other's repositories. */
@QuarkusTest
@TestProfile(AuthProfile.class)
@QuarkusTestResource(value = CatalogDatabase.class, restrictToAnnotatedClass = false)
class VisibilityTest {
    static final List<String> ALICE = List.of("public/**", "library/**", "alice/**", "team-a/**");
    static final List<String> BOB = List.of("public/**", "library/**", "bob/**");

    @Inject
    Vertx vertx;
    @Inject
    EventConsumer consumer;

    Registry registry;

    @BeforeEach
    void setUp() {
        registry = new Registry(vertx);
        registry.reset();
        consumer.wake();
        registry.awaitApplied(0);
        for (String repo : List.of("public/hello", "alice/app", "alice/secret-tools", "bob/app", "bob/secret-tools",
                "team-a/service", "carol/app")) {
            registry.push(repo, Registry.image(Registry.config("linux", "amd64", Map.of()),
                    List.of(Registry.layer("layer of " + repo)), Map.of()), "v1", "someone");
        }
        registry.awaitApplied(registry.position());
    }

    @Test
    void twoUsersSeeOnlyWhatTheyMayPull() {
        String alice = TestTokens.user("alice", ALICE);
        String bob = TestTokens.user("bob", BOB);
        given().auth().oauth2(alice).get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("alice/app", "alice/secret-tools", "public/hello", "team-a/service"))
                .body("total", equalTo(4));
        given().auth().oauth2(bob).get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("bob/app", "bob/secret-tools", "public/hello")).body("total", equalTo(3));

        // single repositories and tags: what is not visible is unknown
        given().auth().oauth2(alice).get("/api/v1/repositories/bob/app").then().statusCode(404)
                .body("errors[0].code", equalTo("NAME_UNKNOWN"));
        given().auth().oauth2(alice).get("/api/v1/repositories/bob/app/tags").then().statusCode(404);
        given().auth().oauth2(alice).get("/api/v1/repositories/bob/app/tags/v1").then().statusCode(404);
        given().auth().oauth2(bob).get("/api/v1/repositories/bob/app/tags/v1").then().statusCode(200);
        given().auth().oauth2(bob).get("/api/v1/repositories/team-a/service").then().statusCode(404);

        // search too
        given().auth().oauth2(alice).queryParam("q", "secret").get("/api/v1/search").then().statusCode(200)
                .body("repositories.name", contains("alice/secret-tools"))
                .body("tags", hasSize(0));
        given().auth().oauth2(bob).queryParam("q", "secret").get("/api/v1/repositories").then().statusCode(200)
                .body("items.name", contains("bob/secret-tools"));
        given().auth().oauth2(bob).queryParam("q", "v1").get("/api/v1/search").then().statusCode(200)
                .body("tags.repository", contains("bob/app", "bob/secret-tools", "public/hello"));
    }

    @Test
    void aCatalogHolderSeesEverythingAndMayRebuild() {
        String admin = TestTokens.admin("admin");
        given().auth().oauth2(admin).get("/api/v1/repositories").then().statusCode(200).body("total", equalTo(7));
        given().auth().oauth2(admin).get("/api/v1/repositories/carol/app/tags/v1").then().statusCode(200);
        given().auth().oauth2(admin).post("/api/v1/admin/rebuild").then().statusCode(200).body("repositories", equalTo(7));
        given().auth().oauth2(TestTokens.user("alice", ALICE)).post("/api/v1/admin/rebuild").then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"));
    }

    @Test
    void withoutAValidTokenTheAnswerIs401WithAChallenge() {
        String challenge = "Bearer realm=\"http://127.0.0.1:5001/token\",service=\"berth-registry\",scope=\"registry:catalog:*\"";
        given().get("/api/v1/repositories").then().statusCode(401).header("WWW-Authenticate", equalTo(challenge))
                .body("errors[0].code", equalTo("UNAUTHORIZED"));
        given().post("/api/v1/admin/rebuild").then().statusCode(401);
        given().queryParam("q", "app").get("/api/v1/search").then().statusCode(401);
        given().header("Authorization", "Basic YTpi").get("/api/v1/repositories").then().statusCode(401);
        given().auth().oauth2("not.a.token").get("/api/v1/repositories").then().statusCode(401)
                .header("WWW-Authenticate", containsString("registry:catalog:*"));

        // signed by another key with the same kid
        PublicJsonWebKey stranger = strangerKey();
        given().auth().oauth2(TestTokens.sign(TestTokens.claims("mallory"), stranger)).get("/api/v1/repositories")
                .then().statusCode(401);
        // expired, wrong audience, wrong issuer
        JwtClaims expired = TestTokens.claims("alice");
        expired.setExpirationTimeMinutesInTheFuture(-10);
        given().auth().oauth2(TestTokens.sign(expired, TestTokens.key())).get("/api/v1/repositories").then().statusCode(401);
        JwtClaims audience = TestTokens.claims("alice");
        audience.setAudience("someone-else");
        given().auth().oauth2(TestTokens.sign(audience, TestTokens.key())).get("/api/v1/repositories").then().statusCode(401);
        JwtClaims issuer = TestTokens.claims("alice");
        issuer.setIssuer("evil");
        given().auth().oauth2(TestTokens.sign(issuer, TestTokens.key())).get("/api/v1/repositories").then().statusCode(401);
        // a valid token without pullable (the catalog was not asked for) sees nothing
        given().auth().oauth2(TestTokens.sign(TestTokens.claims("alice"), TestTokens.key())).get("/api/v1/repositories")
                .then().statusCode(200).body("items", hasSize(0)).body("total", equalTo(0));
    }

    private static PublicJsonWebKey strangerKey() {
        try {
            PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            key.setKeyId("test-1");
            return key;
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException(e);
        }
    }
}
