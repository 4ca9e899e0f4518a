package dev.berth.catalog.visibility;

import dev.berth.catalog.config.CatalogConfig;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.security.PublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;

/**
 * token-service's public keys by {@code kid}, fetched with the non-blocking Vert.x client and cached for
 * {@code catalog.auth.jwks-cache-ttl}. An unknown {@code kid} fetches again (at most every {@value #MIN_REFRESH_MS}
 * ms; concurrent requests share one fetch), so a key rotation is picked up with its first token.
 */
@ApplicationScoped
public class JwksKeys {
    private static final Logger LOG = Logger.getLogger(JwksKeys.class);
    static final long MIN_REFRESH_MS = 5_000;

    private final CatalogConfig.Auth config;
    private final Vertx vertx;
    private volatile HttpClient client;
    private volatile Map<String, PublicKey> keys = Map.of();
    private volatile long fetchedAt;
    private volatile long lastAttempt;
    private CompletableFuture<Map<String, PublicKey>> inFlight;

    public JwksKeys(CatalogConfig config, Vertx vertx) {
        this.config = config.auth();
        this.vertx = vertx;
    }

    /** The key for {@code kid}, fetching the JWKS first when needed; null when token-service has no such key. */
    public Uni<PublicKey> key(String kid) {
        long now = System.currentTimeMillis();
        boolean stale = fetchedAt == 0 || now - fetchedAt > config.jwksCacheTtl().toMillis();
        PublicKey known = keys.get(kid);
        if (known != null && !stale) {
            return Uni.createFrom().item(known);
        }
        if (!stale && now - lastAttempt < MIN_REFRESH_MS) {
            return Uni.createFrom().item(known);
        }
        return Uni.createFrom().completionStage(this::refresh).map(fresh -> fresh.get(kid))
                .onFailure().recoverWithItem(failure -> {
                    LOG.warnf("cannot fetch the JWKS at %s: %s", config.jwksUrl(), failure.getMessage());
                    return known;
                });
    }

    private synchronized CompletableFuture<Map<String, PublicKey>> refresh() {
        if (inFlight != null) {
            return inFlight;
        }
        lastAttempt = System.currentTimeMillis();
        CompletableFuture<Map<String, PublicKey>> future = new CompletableFuture<>();
        inFlight = future;
        URI uri = URI.create(config.jwksUrl());
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(uri.getHost())
                .setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80).setSsl(tls)
                .setURI(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
                .setTimeout(10_000);
        httpClient().request(options)
                .compose(request -> request.send())
                .compose(response -> response.statusCode() == 200 ? response.body()
                        : io.vertx.core.Future.failedFuture("status " + response.statusCode()))
                .onComplete(result -> {
                    synchronized (JwksKeys.this) {
                        inFlight = null;
                    }
                    if (result.failed()) {
                        future.completeExceptionally(result.cause());
                        return;
                    }
                    try {
                        Map<String, PublicKey> parsed = new HashMap<>();
                        for (JsonWebKey jwk : new JsonWebKeySet(result.result().toString()).getJsonWebKeys()) {
                            // public keys only: a symmetric key in the set must never verify anything
                            if (jwk instanceof PublicJsonWebKey pub && jwk.getKeyId() != null && pub.getPublicKey() != null) {
                                parsed.put(jwk.getKeyId(), pub.getPublicKey());
                            }
                        }
                        keys = Map.copyOf(parsed);
                        fetchedAt = System.currentTimeMillis();
                        LOG.debugf("JWKS of %s: %s", config.jwksUrl(), parsed.keySet());
                        future.complete(keys);
                    } catch (Exception e) {
                        future.completeExceptionally(e);
                    }
                });
        return future;
    }

    private HttpClient httpClient() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000).setVerifyHost(true));
                }
                c = client;
            }
        }
        return c;
    }
}
