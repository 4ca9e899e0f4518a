package dev.berth.gc.auth;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.berth.gc.support.GcDatabase;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With gc.auth.enabled=true only a token granting registry:gc (token-service's registry-admin) may use the API. */
@QuarkusTest
@TestProfile(GcTokens.Profile.class)
@QuarkusTestResource(value = GcDatabase.class, restrictToAnnotatedClass = false)
class AdminAuthTest {
    static final String CHALLENGE = "Bearer realm=\"http://127.0.0.1:5001/token\",service=\"berth-registry\","
            + "scope=\"registry:gc:*\"";

    @Inject
    Pool pool;

    @BeforeEach
    void clean() {
        pool.query("delete from gc.run").execute().await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void withoutATokenTheAnswerIsAChallenge() {
        given().get("/api/v1/gc/runs").then().statusCode(401).header("WWW-Authenticate", CHALLENGE)
                .body("errors[0].code", equalTo("UNAUTHORIZED"));
        given().auth().oauth2("not.a.token").get("/api/v1/gc/runs").then().statusCode(401)
                .header("WWW-Authenticate", CHALLENGE);
        given().contentType(ContentType.JSON).body("{}").post("/api/v1/gc/runs").then().statusCode(401);
    }

    @Test
    void aTokenWithoutTheGrantIsDenied() {
        String user = GcTokens.token("alice", List.of(
                Map.of("type", "registry", "name", "catalog", "actions", List.of("*")),
                Map.of("type", "repository", "name", "alice/app", "actions", List.of("pull", "push", "delete"))));
        given().auth().oauth2(user).get("/api/v1/gc/runs").then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"));
        given().auth().oauth2(user).contentType(ContentType.JSON).body("{}").post("/api/v1/gc/runs").then()
                .statusCode(403);
    }

    @Test
    void anAdminStartsAndReadsRuns() {
        String admin = GcTokens.token("ada", List.of(Map.of("type", "registry", "name", "gc", "actions", List.of("*"))));
        String id = given().auth().oauth2(admin).contentType(ContentType.JSON)
                .body("{\"dryRun\": true, \"collectors\": [\"test-single\"]}").post("/api/v1/gc/runs").then()
                .statusCode(202).body("requestedBy", equalTo("ada")).extract().path("id");
        given().auth().oauth2(admin).get("/api/v1/gc/runs/" + id).then().statusCode(200)
                .body("requestedBy", equalTo("ada")).body("dryRun", equalTo(true));
        given().auth().oauth2(admin).get("/api/v1/gc/runs").then().statusCode(200).body("runs[0].id", equalTo(id));
    }
}
