package dev.berth.token.endpoint;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.KeycloakTestResource;
import dev.berth.devtools.testing.PostgresTestResource;
import dev.berth.token.TokenClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scope outside the grammar, or naming an invalid repository, is a 400 with an OCI error body; no token. */
@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = KeycloakTestResource.class, restrictToAnnotatedClass = false)
class InvalidScopeTest {

    @Test
    void aScopeWithAnInvalidRepositoryNameIsRefusedWithNameInvalid() {
        Response anonymous = given().queryParam("scope", "repository:Acc/Bad:pull").get("/token");
        Response loggedIn = TokenClient.get("alice", "alice-password", "repository:Acc/Bad:pull");
        Response refresh = given().contentType("application/x-www-form-urlencoded").formParam("grant_type", "password")
                .formParam("username", "alice").formParam("password", "alice-password")
                .formParam("scope", "repository:team-a/app:pull repository:team-a/../x:push").post("/token");
        for (Response r : List.of(anonymous, loggedIn, refresh)) {
            r.then().statusCode(400);
            assertThat(r.jsonPath().getString("errors[0].code")).as(r.asString()).isEqualTo("NAME_INVALID");
            assertThat(r.jsonPath().getString("errors[0].message")).contains("invalid repository name");
            assertThat(r.jsonPath().getString("error")).isEqualTo("invalid_scope");
            assertThat(r.jsonPath().getString("token")).isNull();
        }
    }

    @Test
    void aMalformedScopeStaysUnsupported() {
        Response r = given().queryParam("scope", "repository-without-actions").get("/token");
        r.then().statusCode(400);
        assertThat(r.jsonPath().getString("errors[0].code")).isEqualTo("UNSUPPORTED");
        assertThat(r.jsonPath().getString("error")).isEqualTo("invalid_scope");
        // the class form Docker sends for plugins is a repository scope
        given().queryParam("scope", "repository(plugin):team-a/app:pull").get("/token").then().statusCode(200);
    }
}
