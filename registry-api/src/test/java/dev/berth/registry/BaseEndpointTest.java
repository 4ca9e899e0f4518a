package dev.berth.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class BaseEndpointTest {

    @Test
    void versionCheckAnswersWithApiVersionHeader() {
        given().get("/v2/").then().statusCode(200)
                .header("Docker-Distribution-API-Version", "registry/2.0")
                .body(equalTo("{}"));
        given().head("/v2/").then().statusCode(200).header("Docker-Distribution-API-Version", "registry/2.0");
    }

    @Test
    void unknownEndpointIsAnOciError() {
        given().get("/v2/foo/bar/baz").then().statusCode(404).body("errors[0].code", equalTo("NAME_UNKNOWN"));
    }

    @Test
    void healthIncludesStorage() {
        given().get("/q/health/ready").then().statusCode(200).body("checks.name", org.hamcrest.Matchers.hasItem("storage"));
    }
}
