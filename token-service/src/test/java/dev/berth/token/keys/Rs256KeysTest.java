package dev.berth.token.keys;

import static dev.berth.token.TokenClient.header;
import static dev.berth.token.TokenClient.token;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.devtools.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.junit.jupiter.api.Test;

/** token.keys.algorithm=RS256 and a custom lifetime: a new RSA key becomes active and signs the tokens. */
@QuarkusTest
@TestProfile(Rs256KeysTest.Rs256.class)
@QuarkusTestResource(value = PostgresTestResource.class, restrictToAnnotatedClass = false)
class Rs256KeysTest {

    public static class Rs256 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // the ES256 key of earlier tests is replaced by an RS256 key at start, since the algorithm changed
            return Map.of("token.keys.algorithm", "RS256",
                    "token.lifetime", "PT2M", "token.keycloak.url", "", "token.local.admin-password", "rs-admin");
        }
    }

    @Test
    void tokensAreSignedWithRs256AndVerifyAgainstTheJwks() throws Exception {
        String jwt = token("admin", "rs-admin", "repository:a/b:pull");
        assertThat(header(jwt).get("alg")).isEqualTo("RS256");
        JsonWebKeySet set = new JsonWebKeySet(given().get("/.well-known/jwks.json").then().statusCode(200).extract().asString());
        var claims = new JwtConsumerBuilder().setVerificationKeyResolver(new JwksVerificationKeyResolver(set.getJsonWebKeys()))
                .setExpectedAudience("berth-registry").build().processToClaims(jwt);
        assertThat(claims.getExpirationTime().getValue() - claims.getIssuedAt().getValue()).isEqualTo(120);
        assertThat(set.getJsonWebKeys()).anyMatch(k -> "RSA".equals(k.getKeyType()) && k.getKeyId().equals(header(jwt).get("kid")));
    }
}
