package dev.berth.token;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;

/** Test helpers: ask token-service for tokens and read what they grant. */
public final class TokenClient {
    private TokenClient() {
    }

    /** GET /token with Basic credentials (null user: anonymous), expecting 200; returns the JWT. */
    public static String token(String user, String password, String... scopes) {
        Response response = get(user, password, scopes);
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /token as " + user + " -> " + response.statusCode() + ": " + response.asString());
        }
        return response.jsonPath().getString("token");
    }

    public static Response get(String user, String password, String... scopes) {
        RequestSpecification request = given().queryParam("service", "berth-registry");
        for (String scope : scopes) {
            request = request.queryParam("scope", scope);
        }
        if (user != null) {
            request = request.auth().preemptive().basic(user, password);
        }
        return request.get("/token");
    }

    /** The access entries granted for one repository scope name (empty list when none). */
    @SuppressWarnings("unchecked")
    public static List<String> actions(String jwt, String type, String name) {
        List<Map<String, Object>> access = (List<Map<String, Object>>) payload(jwt).get("access");
        for (Map<String, Object> entry : access) {
            if (type.equals(entry.get("type")) && name.equals(entry.get("name"))) {
                return (List<String>) entry.get("actions");
            }
        }
        return List.of();
    }

    public static List<String> repositoryActions(String user, String password, String repository, String actions) {
        return actions(token(user, password, "repository:" + repository + ":" + actions), "repository", repository);
    }

    public static Map<String, Object> payload(String jwt) {
        return json(jwt.split("\\.")[1]);
    }

    public static Map<String, Object> header(String jwt) {
        return json(jwt.split("\\.")[0]);
    }

    private static Map<String, Object> json(String part) {
        try {
            return JsonUtil.parseJson(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
        } catch (JoseException e) {
            throw new AssertionError(e);
        }
    }
}
