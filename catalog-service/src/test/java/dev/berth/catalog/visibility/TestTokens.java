package dev.berth.catalog.visibility;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

/**
 * Stands in for token-service: a JWKS endpoint on 127.0.0.1 (JDK HTTP server) and tokens signed with its key
 * (ES256, kid {@code test-1}), shaped like token-service's: {@code access} and, for non-admins, {@code pullable}.
 * The key is kept in a system property, since this resource and the test class live in different class loaders.
 */
public class TestTokens implements QuarkusTestResourceLifecycleManager {
    static final String KEY_PROPERTY = "berth.test.catalog.key";
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            key.setKeyId("test-1");
            key.setAlgorithm("ES256");
            System.setProperty(KEY_PROPERTY, key.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
            byte[] jwks = ("{\"keys\":[" + key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}")
                    .getBytes(StandardCharsets.UTF_8);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            server.createContext("/.well-known/jwks.json", exchange -> {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, jwks.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(jwks);
                }
            });
            server.start();
            return Map.of("catalog.auth.enabled", "true",
                    "catalog.auth.jwks-url", "http://127.0.0.1:" + server.getAddress().getPort() + "/.well-known/jwks.json",
                    "catalog.auth.realm", "http://127.0.0.1:5001/token");
        } catch (IOException | JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** A token of token-service for {@code subject} who may pull {@code pullable} (no catalog grant). */
    static String user(String subject, List<String> pullable) {
        JwtClaims claims = claims(subject);
        claims.setClaim("access", List.of(Map.of("type", "registry", "name", "catalog", "actions", List.of())));
        claims.setClaim("pullable", pullable);
        return sign(claims, key());
    }

    /** A token granting {@code registry:catalog:*}. */
    static String admin(String subject) {
        JwtClaims claims = claims(subject);
        claims.setClaim("access", List.of(Map.of("type", "registry", "name", "catalog", "actions", List.of("*"))));
        return sign(claims, key());
    }

    static JwtClaims claims(String subject) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer("berth-token-service");
        claims.setAudience("berth-registry");
        claims.setSubject(subject);
        claims.setIssuedAtToNow();
        claims.setNotBeforeMinutesInThePast(1);
        claims.setExpirationTimeMinutesInTheFuture(5);
        claims.setGeneratedJwtId();
        return claims;
    }

    static PublicJsonWebKey key() {
        try {
            return PublicJsonWebKey.Factory.newPublicJwk(System.getProperty(KEY_PROPERTY));
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sign(JwtClaims claims, PublicJsonWebKey key) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
