package dev.berth.registry.auth;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

/**
 * Stands in for token-service's JWKS endpoint: a JDK HTTP server on 127.0.0.1 serving the JWKS held in the
 * system property {@value #JWKS_PROPERTY} (tests change it to rotate keys). The signing key of the tests is in
 * {@value #KEY_PROPERTY} (a private JWK, kid {@code k1}). System properties, because the test class and this
 * resource may live in different class loaders.
 */
public class TestJwks implements QuarkusTestResourceLifecycleManager {
    public static final String JWKS_PROPERTY = "berth.test.auth.jwks";
    public static final String KEY_PROPERTY = "berth.test.auth.key";
    public static final String FETCHES_PROPERTY = "berth.test.auth.jwks-fetches";
    private static final AtomicInteger FETCHES = new AtomicInteger();
    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            PublicJsonWebKey key = generate("k1");
            System.setProperty(KEY_PROPERTY, key.toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE));
            System.setProperty(JWKS_PROPERTY, "{\"keys\":[" + key.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY) + "]}");
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
            server.createContext("/.well-known/jwks.json", exchange -> {
                System.setProperty(FETCHES_PROPERTY, Integer.toString(FETCHES.incrementAndGet()));
                byte[] body = System.getProperty(JWKS_PROPERTY).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            return Map.of("registry.auth.jwks-url", base + "/.well-known/jwks.json");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PublicJsonWebKey generate(String kid) {
        try {
            PublicJsonWebKey key = EcJwkGenerator.generateJwk(EllipticCurves.P256);
            key.setKeyId(kid);
            key.setAlgorithm("ES256");
            return key;
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
