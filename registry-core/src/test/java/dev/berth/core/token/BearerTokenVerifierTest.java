package dev.berth.core.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link BearerTokenVerifier} and {@link JwksKeySet} against a real HTTP server that serves a JWKS. */
class BearerTokenVerifierTest {
    private static final BearerTokenVerifier.Rules RULES = new BearerTokenVerifier.Rules("issuer", "registry",
            List.of("ES256", "RS256"), Duration.ofSeconds(30));

    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile List<PublicJsonWebKey> served = new ArrayList<>();
    private PublicJsonWebKey k1;

    @BeforeEach
    void serveJwks() throws Exception {
        k1 = key("k1");
        served = List.of(k1);
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> {
            fetches.incrementAndGet();
            request.response().putHeader("Content-Type", "application/json")
                    .end(new JsonWebKeySet(new ArrayList<JsonWebKey>(served)).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private JwksKeySet keySet(Duration minRefresh) {
        return new JwksKeySet(vertx, new JwksKeySet.Settings("http://127.0.0.1:" + server.actualPort() + "/jwks",
                Duration.ofMinutes(5), minRefresh, List.of()));
    }

    private static PublicJsonWebKey key(String kid) throws Exception {
        PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
        key.setKeyId(kid);
        return key;
    }

    private static JwtClaims claims() {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer("issuer");
        claims.setAudience("registry");
        claims.setSubject("alice");
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(5);
        claims.setClaim("access", List.of(Map.of("type", "repository", "name", "a/b", "actions", List.of("pull"))));
        return claims;
    }

    private static String sign(JwtClaims claims, PublicJsonWebKey key, String kid) throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        if (kid != null) {
            jws.setKeyIdHeaderValue(kid);
        }
        return jws.getCompactSerialization();
    }

    private static String token(PublicJsonWebKey key, Consumer<JwtClaims> change) throws Exception {
        JwtClaims claims = claims();
        change.accept(claims);
        return sign(claims, key, key.getKeyId());
    }

    private static BearerTokenVerifier.VerifiedToken await(BearerTokenVerifier verifier, String token) throws Exception {
        try {
            return verifier.verify(token).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof CompletionException c ? (Exception) c.getCause() : (Exception) e.getCause();
        }
    }

    @Test
    void aValidTokenYieldsItsSubjectClaimsAndKey() throws Exception {
        BearerTokenVerifier verifier = new BearerTokenVerifier(RULES, keySet(Duration.ofSeconds(5)), "x.algorithms");
        BearerTokenVerifier.VerifiedToken verified = await(verifier, token(k1, c -> { }));
        assertThat(verified.subject()).isEqualTo("alice");
        assertThat(verified.kid()).isEqualTo("k1");
        assertThat(verified.key()).isEqualTo(k1.getPublicKey());
        assertThat(verified.claims().getClaimValue("access")).isInstanceOf(List.class);
        // the second token is checked against the cached JWKS
        await(verifier, token(k1, c -> c.setSubject("bob")));
        assertThat(fetches).hasValue(1);
    }

    @Test
    void hostileTokensAreRefused() throws Exception {
        BearerTokenVerifier verifier = new BearerTokenVerifier(RULES, keySet(Duration.ofSeconds(5)), "x.algorithms");
        long now = System.currentTimeMillis() / 1000;
        Map<String, String> hostile = new LinkedHashMap<>();
        hostile.put("expired", token(k1, c -> {
            c.setExpirationTime(NumericDate.fromSeconds(now - 120));
            c.setIssuedAt(NumericDate.fromSeconds(now - 420));
        }));
        hostile.put("not yet valid", token(k1, c -> c.setNotBefore(NumericDate.fromSeconds(now + 120))));
        hostile.put("wrong audience", token(k1, c -> c.setAudience("other")));
        hostile.put("wrong issuer", token(k1, c -> c.setIssuer("evil")));
        hostile.put("no issued-at", token(k1, c -> c.unsetClaim("iat")));
        hostile.put("no subject", token(k1, c -> c.unsetClaim("sub")));
        hostile.put("subject not a string", token(k1, c -> c.setClaim("sub", 42)));
        hostile.put("signed by another key", sign(claims(), key("k1"), "k1"));
        hostile.put("unknown kid", sign(claims(), key("k9"), "k9"));
        hostile.put("no kid", sign(claims(), k1, null));
        JsonWebSignature hmac = new JsonWebSignature();
        hmac.setPayload(claims().toJson());
        hmac.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        hmac.setKeyIdHeaderValue("k1");
        hmac.setKey(new HmacKey(k1.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY).getBytes(StandardCharsets.UTF_8)));
        hmac.setDoKeyValidation(false);
        hostile.put("HS256 with the public key", hmac.getCompactSerialization());
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"kid\":\"k1\"}"
                .getBytes(StandardCharsets.UTF_8));
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(claims().toJson().getBytes(StandardCharsets.UTF_8));
        hostile.put("alg=none", header + "." + payload + ".");
        hostile.put("five parts (JWE)", "a.b.c.d.e");
        hostile.put("garbage", "not.a.token");

        assertThat(await(verifier, token(k1, c -> { })).subject()).isEqualTo("alice");
        for (Map.Entry<String, String> entry : hostile.entrySet()) {
            assertThatThrownBy(() -> await(verifier, entry.getValue())).as(entry.getKey())
                    .isInstanceOf(InvalidTokenException.class);
        }
    }

    @Test
    void onlyAsymmetricAlgorithmsMayBeAllowed() {
        BearerTokenVerifier.Rules hmac = new BearerTokenVerifier.Rules("issuer", "registry", List.of("ES256", "HS256"),
                Duration.ZERO);
        assertThatThrownBy(() -> new BearerTokenVerifier(hmac, keySet(Duration.ofSeconds(5)), "registry.auth.algorithms"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("registry.auth.algorithms: HS256 is not an asymmetric JWS algorithm");
    }

    @Test
    void unknownKidsFetchAtMostOncePerMinimumInterval() throws Exception {
        BearerTokenVerifier verifier = new BearerTokenVerifier(RULES, keySet(Duration.ofHours(1)), "x.algorithms");
        await(verifier, token(k1, c -> { }));
        PublicJsonWebKey k2 = key("k2");
        served = List.of(k1, k2);
        // the JWKS was just fetched: a made-up (or just rotated) kid does not fetch again within the interval
        assertThatThrownBy(() -> await(verifier, token(k2, c -> { }))).isInstanceOf(InvalidTokenException.class)
                .hasMessageContaining("unknown kid k2");
        assertThat(fetches).hasValue(1);

        served = List.of(k1);
        BearerTokenVerifier eager = new BearerTokenVerifier(RULES, keySet(Duration.ZERO), "x.algorithms");
        await(eager, token(k1, c -> { }));
        served = List.of(k1, k2);
        assertThat(await(eager, token(k2, c -> { })).kid()).isEqualTo("k2");
        assertThat(fetches).hasValue(3);
    }

    @Test
    void aFetchTellsWhichKidsWereWithdrawnOrRebound() throws Exception {
        JwksKeySet keys = keySet(Duration.ZERO);
        List<Set<String>> withdrawn = new CopyOnWriteArrayList<>();
        keys.onKeysWithdrawn(withdrawn::add);
        PublicJsonWebKey k2 = key("k2");
        served = List.of(k1, k2);
        assertThat(keys.key("k1").toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(k1.getPublicKey());
        assertThat(keys.freshKey("k2")).isEqualTo(k2.getPublicKey());
        assertThat(withdrawn).isEmpty();

        PublicJsonWebKey rebound = key("k1");
        served = List.of(rebound);
        assertThat(keys.key("k3").toCompletableFuture().get(10, TimeUnit.SECONDS)).isNull();
        assertThat(withdrawn).containsExactly(Set.of("k1", "k2"));
        assertThat(keys.freshKey("k1")).isEqualTo(rebound.getPublicKey());
        assertThat(keys.freshKey("k2")).isNull();
    }
}
